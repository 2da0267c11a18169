// Package bases owns tracr's named vector-space bases: Python-like values
// (None, bool, int, float, str and tuples, with Python's equality, ordering,
// str() and repr()), basis directions (a name plus an optional value), and
// vector spaces whose basis is kept in tracr's sorted order.
//
// The ordering is tracr's BasisDirection rule: compare (name, value) like a
// Python tuple and, where Python raises TypeError (e.g. int against str),
// compare the printed forms "name:value" instead. Every other part of the
// compiler relies on this order: it fixes the residual stream layout, the
// token ids, and the order of MLP hidden units.
package bases
