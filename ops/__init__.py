"""The operator's commands: python -m ops --help."""
