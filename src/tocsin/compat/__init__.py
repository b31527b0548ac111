"""The public alert APIs that existing clients are wired to, answered from tocsin's state.

Two APIs are spoken (docs/compat.md): that of alerts.in.ua (its Python client `alerts-in-ua`,
and the IoT lines ESP32 maps read) and that of api.ukrainealarm.com (`ukrainealarm`, read by
Home Assistant). Both name places by the same numeric ids (`places`); tocsin's threats map onto
their alert types (`threats`); `alerts_in_ua` and `ukrainealarm` shape the answers.

Pure: no I/O. Only actual alerts that are active are shown: an exercise or a test never, and a
pre-alert not until it is activated, since neither API has a way to say either.
"""
