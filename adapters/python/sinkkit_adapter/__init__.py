"""sinkkit's Python adapter: a loom-style sink node served over the sinkkit
wire protocol, v1, so that `sinkkit run` checks it (docs/python.md).
Standard library only.

With no glue at all, for a node written only against loom's protocol:

    sinkkit run -- python3 -m sinkkit_adapter mypkg.sinks:node --read-back jsonl

(`python3 -m sinkkit_adapter --help` lists the options.) Or, for custom
cases, a few lines of your own:

    from sinkkit_adapter import serve

    class MyNode:
        name = "my-sink"
        router_branch_safe = True
        def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
            return MyPartition(config, worker_index)      # has write_batch(items) and close()

    def read_back(config):                                  # what the target durably holds, in stored order
        return [...]                                        # dicts with "key" and the declared fields

    serve(MyNode(), read_back, fields={"value": "int"},
          capabilities={"durability": "on_close"},
          config_template={"dir": "{target}"})

and `sinkkit run -- python3 my_sink.py`. Through serve(fields=...), items
reach write_batch as dicts (with "key", the declared fields, and possibly
extra fields: payload subtypes). Raise ConfigError(key, message) for a bad
config and ClosedError for a call on a closed partition; any other exception
from write_batch or close is a storage failure (kind "write").
"""

from ._bridge import AsyncBridge, BridgeShutDown, SessionManager
from ._payloads import PayloadError, PayloadType
from ._server import PROTOCOL, ClosedError, ConfigError, serve

__all__ = ["AsyncBridge", "BridgeShutDown", "ClosedError", "ConfigError", "PROTOCOL", "PayloadError", "PayloadType",
           "SessionManager", "serve"]
__version__ = "0.1.0"
