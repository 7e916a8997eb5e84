"""The edge agent: read a pump, detect drift, keep every reading, publish."""
