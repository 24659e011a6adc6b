"""``AMLResponse`` as azureml-inference-server-http 1.x defines it (a Flask Response there),
standard library only: run() returns one to answer with its own status, body and headers."""

import json

__all__ = ["AMLResponse"]


class _Headers(list):
    """The response's headers: (name, value) pairs in order, names may repeat."""

    def items(self):
        return list(self)

    def add(self, name, value):
        self.append((str(name), str(value)))


class AMLResponse:
    """``AMLResponse(message, status_code, response_headers={}, json_str=False)``.

    With ``json_str=True`` the body is ``json.dumps(message)`` as application/json; otherwise it
    is ``message`` itself (str or bytes), text/html unless ``response_headers`` names a
    Content-Type. ``message=None`` answers ``{}``. A header value holding commas is sent as one
    header per part, as Azure's server does."""

    def __init__(self, message, status_code, response_headers=None, json_str=False,
                 run_function_failed=False):
        self.status_code = int(status_code)
        self.headers = _Headers()
        response_headers = dict(response_headers or {})
        if message is None:
            self._data = b"{}"
            self.headers.add("Content-Type", "application/json")
        elif json_str:
            self._data = json.dumps(message).encode("utf-8")
            self.headers.add("Content-Type", "application/json")
        else:
            self._data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
            if not any(k.lower() == "content-type" for k in response_headers):
                self.headers.add("Content-Type", "text/html; charset=utf-8")
        self.headers.add("x-ms-run-function-failed", bool(run_function_failed))
        for name, value in response_headers.items():
            for part in str(value).split(","):
                self.headers.add(name, part.strip())

    def get_data(self, as_text=False):
        return self._data.decode("utf-8") if as_text else self._data

    @property
    def data(self):
        return self._data

    def __repr__(self):
        return "<AMLResponse %d, %d bytes>" % (self.status_code, len(self._data))
