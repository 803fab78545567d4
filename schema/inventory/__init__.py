"""The inventory API package: warehouses, locations, stock levels, the ledger and the four stock
primitives here; its sub-areas (counts, lots, production, reorder, transfers) are sub-packages of the
same shape. All of them load rows through ``loaders.py``."""
