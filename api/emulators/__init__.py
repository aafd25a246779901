"""Local emulators of the Graph API and the X API, for `sowana dev` and the tests."""
