"""Data access: the pool, migrations, the type-to-table mapping and SQL per aggregate.

Everything here returns plain records and dataclasses; nothing imports GraphQL types.
"""
