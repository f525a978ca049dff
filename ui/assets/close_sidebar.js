// On a phone the sidebar covers most of the screen: after a setting in it is changed (and
// the page has rerun with it), close it so the student sees the result. Installed once per
// browser tab.
(() => {
  if (window.parent.__nnCloseSidebar) return;
  const doc = window.parent.document;
  window.parent.__nnCloseSidebar = true;
  const phone = () => window.parent.innerWidth < 640;
  let changed = false;
  let rerunSeen = false;
  doc.addEventListener("pointerup", (event) => {
    const target = event.target;
    if (!phone() || !target.closest) return;
    const inSidebar = target.closest("[data-testid='stSidebarUserContent']");
    const option = target.closest("[role='option']");  // a select box's list (drawn outside)
    const sidebarOpen = doc.querySelector("[data-testid='stSidebarCollapseButton']");
    if (inSidebar || (option && sidebarOpen)) {
      changed = true;
      rerunSeen = false;
    }
  }, true);
  new MutationObserver(() => {
    const app = doc.querySelector("[data-testid='stApp']");
    if (!changed || !app) return;
    const state = app.getAttribute("data-test-script-state");
    if (state === "running") rerunSeen = true;
    if (state === "notRunning" && rerunSeen) {
      changed = false;
      const close = doc.querySelector("[data-testid='stSidebarCollapseButton'] button");
      if (close && phone()) close.click();
    }
  }).observe(doc.body, {attributes: true, subtree: true, attributeFilter: ["data-test-script-state"]});
})();
