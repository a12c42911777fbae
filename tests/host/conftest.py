"""Fixtures for the provider-host tests."""

from support.provider_host import provider_host

__all__ = ["provider_host"]
