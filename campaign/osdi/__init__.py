"""The OSDI (Action Network-compatible) view of campaign's data: resources, paging and
filters as Action Network's API has them, so the movement's sync tools work unchanged."""
