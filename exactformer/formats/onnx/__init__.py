"""ONNX graphs in and out (optional extra ``exactformer[onnx]``).

:mod:`.read` parses and validates a file (bounded sizes, no external data outside its
folder, every float read as the exact dyadic rational it stores), :mod:`.interpret`
executes a graph symbolically over exact polynomials and decides a claim, and
:mod:`.write` exports a model as a standard ONNX graph.
"""
