"""FacturaSend JSON side: pydantic models (``models``), accepted aliases, parsing and rules.

Third-party libraries allowed here: pydantic. No I/O.
"""
