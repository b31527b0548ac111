"""Sirens over MQTT: retained region states, siren commands, acks, heartbeats and faults.

`bridge.SirenChannel` is the channel; `simulator` runs virtual sirens. See docs/sirens.md.
"""
