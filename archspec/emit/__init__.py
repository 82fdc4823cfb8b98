"""Emitters: the nn.Module builder (the only place torch is imported)."""
