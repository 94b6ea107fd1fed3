"""English -> French translation with the zoo's seq2seq models."""
