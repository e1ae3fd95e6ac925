"""Helpers shared by the test modules: seeded shops, sample payloads and documents, a printer on
loopback, screen-test utilities. Test modules import from here (or use conftest fixtures), never
from another test module or a conftest."""
