"""Genomics: DNA sequence -> regulatory activity, on real MPRA data and a generated benchmark with a known ceiling."""
