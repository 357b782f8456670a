"""The platform-free core: records, digest files, gazetteer, speakers, store and queries.

Nothing in here imports a front end, a renderer or the scheduler.
"""
