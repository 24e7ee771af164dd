"""Optuna search spaces, `bench tune`, and the tuned hyperparameters in `sweeps/tuned/`."""
