"""Can every pod read every secret it uses? The evaluator, the chain of links, and where their facts come from."""
