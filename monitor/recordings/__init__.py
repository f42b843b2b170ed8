"""NVR storage and recording integrity (后台存储资料完好率).

`adapters/` speaks each recorder's protocol (ONVIF Profile G, Hikvision
ISAPI, Dahua CGI) behind one interface; `integrity` is the pure maths of
completeness, gaps, retention and the storage forecast; `poller` runs the
slow storage cycle and keeps the recorded intervals between runs.
"""
