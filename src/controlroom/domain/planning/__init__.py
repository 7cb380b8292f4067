"""Capacity planning: the room as queues, simulated and checked against Erlang's formulas."""
