"""Pages every counter service shares: fee, reviewer approval, token step, result."""
