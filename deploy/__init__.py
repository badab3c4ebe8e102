"""Deployment steps that run on the operator's machine (the azd hooks), never in the functions."""
