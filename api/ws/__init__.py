"""GraphQL over WebSocket (the ``graphql-transport-ws`` protocol), served by Channels.

``protocol`` names the messages and close codes, ``auth`` decides who the socket belongs to,
``broker`` carries channel-layer events to subscriptions, ``consumer`` speaks the protocol.
"""
