"""gongzhi (共治): a GraphQL federation server for community governance data."""

__version__ = "0.1.0"
