"""Demo data: a generated county of towns, villages, compounds, households and residents.

``places`` plans the area tree and every address, ``people`` draws who lives there,
``names`` gives them names, and ``demo`` stores it all (``gongzhi seed --demo``).
"""
