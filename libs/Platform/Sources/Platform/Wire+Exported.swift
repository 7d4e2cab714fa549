// The wire contracts (JSONValue, ids, timestamps, the error shape) are the vocabulary of every
// service: a target that imports Platform speaks them without naming Wire. Clients that must not
// link a server (MLExClient, mlex) import Wire alone.
@_exported import Wire
