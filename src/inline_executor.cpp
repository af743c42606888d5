// SPDX-License-Identifier: MIT
// InlineExecutor's per-thread trampoline: the outermost execute() on a thread
// runs its job, then every job queued by nested calls, in FIFO order, so the
// stack depth stays constant however long a chain of wake-ups is.
#include <diatomic/executor.hpp>

DIATOMIC_NAMESPACE_BEGIN
namespace {

// Only the owning thread touches it. Trivially destructible, so no TLS
// destructor is registered; it is always empty when no execute() is running.
struct Trampoline {
  detail::JobQueue queued;
  bool draining = false;
};

thread_local Trampoline trampoline;

}  // namespace

void InlineExecutor::execute(Job job) const noexcept {
  Trampoline& t = trampoline;
  if (t.draining) {
    t.queued.push(detail::JobNode::of(job));
    return;
  }
  t.draining = true;
  // A job may resume a coroutine that destroys the job's node: never touch a
  // node after running it (queued nodes are unlinked before they run).
  for (detail::JobNode* node = &detail::JobNode::of(job); node != nullptr; node = t.queued.pop()) {
    node->run(node);
  }
  t.draining = false;
}

DIATOMIC_NAMESPACE_END
