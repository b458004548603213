"""The analyst's workbench: a workspace over a province's data, Vietnamese tables, an explorer widget.

``cchc_tools.open()`` returns a :class:`~cchc_tools.workbench.workspace.Workspace`; importing this
package registers the ``.cchc`` DataFrame accessor.
"""

from __future__ import annotations

from cchc_tools.workbench.accessor import CchcAccessor, KitFrame, NotAKitTable
from cchc_tools.workbench.workspace import Workspace, open

__all__ = ["CchcAccessor", "KitFrame", "NotAKitTable", "Workspace", "open"]
