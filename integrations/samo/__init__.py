"""SAMO-Tour online API: the client (``client.samo_request`` is the one function
every call passes through), its errors, lenient parsers for the payloads, and a
local server speaking the same wire format for tests and demos (``fake``)."""
