"""Pulumi components for configuration and secrets on AWS EKS."""

__version__ = "0.1.0"

__all__ = ["__version__"]
