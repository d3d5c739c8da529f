"""Clinical records: the safety screen, the diary and its figures, MIDAS, HIT-6, progress."""
