"""A comments life: ingest, the state machine, the read model, the workers steps, decisions, publishing."""
