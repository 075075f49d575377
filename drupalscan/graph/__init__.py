"""Graphs (networkx) of modules, sites and content types, and the plan built from them."""
