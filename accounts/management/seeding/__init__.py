"""Demo and synthetic data: the small demo network (``seed_demo``) and the country-scale data set
(``seed_country``). Both draw people from :mod:`accounts.management.seeding.people`."""
