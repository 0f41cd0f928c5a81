"""Operations: the commands a server's operator runs (serve, db, backup, restore, keys) and the
start-up checks they share with the ASGI app. Knows no page and no business app."""
