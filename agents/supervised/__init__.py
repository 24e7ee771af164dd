"""Supervised maze path prediction: the README's CNN, Transformer and TRM predictors and their training."""
