"""Science apps: PDE surrogates (`pde`) and genomics (`genomics`), reached as `zoo science <app> ...`."""
