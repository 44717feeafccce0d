"""Which cells of a notebook a set of cells depends on: a backward slice over names.

The exercise harness runs a notebook's student edition only to reach its
exercises. Cells that define nothing an exercise (its solution, its check, the
answers the harness tries) reads, directly or through other cells, are skipped:
figures, timings, studies. nbval still runs every cell of the notebook.

The analysis is by names and errs on the side of running a cell:

- a cell *defines* the names it binds at its top level (assignments, imports,
  ``def``, ``class``, loop and ``with`` targets), and *changes* the names whose
  attributes or items it assigns, that it augments (``x += ...``) or whose
  methods it calls as a statement (``model.train()``, ``opt.step()``; a
  function of an imported module, ``torch.testing.assert_close(...)``, is not
  taken to change the module);
- a cell *reads* the names it loads before binding them itself, in statement
  order (``for name in ...`` binds ``name``), and the global names its
  functions load (a function's own variables are not reads: ``symtable``);
- a cell is needed if it defines or changes a name that a needed cell after it
  reads; the first code cell (imports, seeds) always runs, and so does a cell
  that the analysis cannot read (``from m import *``; ``globals()``, ``exec``
  at its top level; an IPython magic).

A skipped cell that mattered shows up as an error or a wrong outcome of the
harness, never as a silent pass: each case asserts a specific outcome.
"""

import ast
import symtable

from IPython.core.inputtransformer2 import TransformerManager

_TRANSFORM = TransformerManager()
_OPAQUE = {"globals", "exec", "eval", "setattr", "vars", "locals"}


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class _Names(ast.NodeVisitor):
    def __init__(self):
        self.defines, self.changes, self.reads, self.opaque = set(), set(), set(), False
        self.calls, self.imports = set(), set()
        self._depth = 0  # > 0 inside a function, lambda, class or comprehension

    def _target(self, target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.defines.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and \
                    isinstance(node.ctx, ast.Store) and _root(node):
                self.changes.add(_root(node))

    def _scope(self, node, name=None):
        if name and self._depth == 0:
            self.defines.add(name)
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def visit_FunctionDef(self, node):
        self._scope(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scope(node, node.name)

    def visit_Lambda(self, node):
        self._scope(node)

    def visit_ListComp(self, node):
        self._scope(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.reads.add(node.id)
            if node.id in _OPAQUE and self._depth == 0:
                self.opaque = True
        elif self._depth == 0:
            self.defines.add(node.id)

    def visit_Assign(self, node):
        if self._depth == 0:
            for target in node.targets:
                self._target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if self._depth == 0:
            self._target(node.target)
            if _root(node.target):
                self.changes.add(_root(node.target))
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if self._depth == 0:
            self._target(node.target)
        self.generic_visit(node)

    def visit_Expr(self, node):
        if self._depth == 0 and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Attribute) and _root(node.value.func):
            self.calls.add(_root(node.value.func))
        self.generic_visit(node)

    def visit_Delete(self, node):
        if self._depth == 0:
            for target in node.targets:
                self.changes.add(_root(target) or "")
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name == "*":
                self.opaque = True
            elif self._depth == 0:
                self.defines.add((alias.asname or alias.name).split(".")[0])
                self.imports.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import


def _loads(node, cell_defines: set) -> set:
    """Module-level names an expression or simple statement loads (its functions' globals too)."""
    table = symtable.symtable(ast.unparse(node), "<cell>", "exec")
    found = {sym.get_name() for sym in table.get_symbols() if sym.is_referenced()}
    stack = list(table.get_children())
    while stack:  # inside functions, lambdas, classes, comprehensions: the global names
        child = stack.pop()
        stack.extend(child.get_children())
        found |= {sym.get_name() for sym in child.get_symbols()
                  if sym.is_referenced() and sym.is_global() and sym.get_name() not in cell_defines}
    return found


def _stores(node) -> set:
    return {name.id for name in ast.walk(node)
            if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)}


def _exposed(body: list, defined: set, cell_defines: set) -> set:
    """Names the statements read before the cell itself has bound them (in order)."""
    reads = set()
    for stmt in body:
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            reads |= _loads(stmt.iter, cell_defines) - defined
            defined |= _stores(stmt.target)
            reads |= _exposed(stmt.body + stmt.orelse, defined, cell_defines)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                reads |= _loads(item.context_expr, cell_defines) - defined
                if item.optional_vars is not None:
                    defined |= _stores(item.optional_vars)
            reads |= _exposed(stmt.body, defined, cell_defines)
        elif isinstance(stmt, (ast.If, ast.While)):
            reads |= _loads(stmt.test, cell_defines) - defined
            reads |= _exposed(stmt.body + stmt.orelse, defined, cell_defines)
        elif isinstance(stmt, ast.Try):
            reads |= _exposed(stmt.body, defined, cell_defines)
            for handler in stmt.handlers:
                if handler.type is not None:
                    reads |= _loads(handler.type, cell_defines) - defined
                if handler.name:
                    defined.add(handler.name)
                reads |= _exposed(handler.body, defined, cell_defines)
            reads |= _exposed(stmt.orelse + stmt.finalbody, defined, cell_defines)
        else:
            reads |= _loads(stmt, cell_defines) - defined
            defined |= _stores(stmt)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(stmt.name)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                defined |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
    return reads


def names(source: str) -> _Names:
    """What a code cell's source (IPython syntax allowed) defines, changes, calls and reads."""
    visitor = _Names()
    try:
        code = _TRANSFORM.transform_cell(source)
        tree = ast.parse(code)
        visitor.visit(tree)
        if code.count("get_ipython()") > source.count("get_ipython()"):
            visitor.opaque = True  # a magic (%timeit f()) hides its names in a string
        # reads: names loaded before the cell binds them itself, and the globals its
        # functions use (a function's own variables are not reads)
        visitor.reads = _exposed(tree.body, set(), visitor.defines)
    except SyntaxError:
        visitor.opaque = True
    return visitor


def needed(sources: list, targets: set, extra_reads: set = frozenset()) -> set:
    """Indices of the code cells that the cells ``targets`` depend on (targets included).

    ``sources[i]`` is cell i's source, or None for a markdown cell; ``extra_reads``
    are names read by code that will run in the targets' place (other answers).
    """
    info = {i: names(s) for i, s in enumerate(sources) if s is not None}
    modules = set().union(*(cell.imports for cell in info.values()))
    wanted = set(extra_reads).union(*(info[t].reads for t in targets))
    keep = set(targets)
    code = sorted(info)
    for i in reversed(range(max(targets, default=-1))):
        if i in keep or i not in info:
            continue
        cell = info[i]
        # a method called on an object changes it (model.train()); on a module
        # (torch.testing.assert_close(...), plt.show()) it is only a call
        touched = cell.defines | cell.changes | (cell.calls - modules)
        if cell.opaque or i == code[0] or touched & wanted:
            keep.add(i)
            wanted |= cell.reads
    return keep
