"""The playground: a local web app to explore, compare and train activations live.

`actlab playground` serves it (`serving.serve`); `server.create_app` is the ASGI app.
The top layer of actlab: it may import every layer below, and none imports it. Its
dependencies (Starlette, uvicorn, websockets, Pebble) are the ``playground`` extra.
"""
