"""Pure builders: case → Block Kit (built with slack_sdk.models.blocks so limits are checked)."""
