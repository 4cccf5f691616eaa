// A FIFO of operations linked through their own `next` pointer (T declares `T* next = nullptr;`).
// Queuing allocates nothing, and an empty queue is two pointers: every socket keeps one for the writes
// or datagrams waiting for the OS, and a std::list cost a node allocation per queued operation (an empty
// std::deque, ~600 bytes per idle socket).
#pragma once

namespace iocpnet {

template <class T>
class OpQueue {
 public:
  bool empty() const { return head_ == nullptr; }
  // The oldest; walk on with op->next.
  T* front() const { return head_; }

  void push_back(T* op) {
    op->next = nullptr;
    if (tail_ != nullptr) tail_->next = op;
    else head_ = op;
    tail_ = op;
  }

  T* pop_front() {
    T* op = head_;
    head_ = op->next;
    if (head_ == nullptr) tail_ = nullptr;
    op->next = nullptr;
    return op;
  }

  // Unlinks `op` wherever it is; false when it is not queued.
  bool remove(T* op) {
    for (T *prev = nullptr, *it = head_; it != nullptr; prev = it, it = it->next) {
      if (it != op) continue;
      if (prev == nullptr) head_ = op->next;
      else prev->next = op->next;
      if (tail_ == op) tail_ = prev;
      op->next = nullptr;
      return true;
    }
    return false;
  }

  // Unlinks every operation queued after `keep` (all of them when keep is nullptr) and returns the first,
  // still linked to the others in order through next.
  T* take_after(T* keep) {
    T* rest = keep == nullptr ? head_ : keep->next;
    if (keep == nullptr) head_ = nullptr;
    else keep->next = nullptr;
    tail_ = keep;
    return rest;
  }

  // Unlinks the first operation `pred` holds for and every one queued behind it, and returns the first of
  // them (linked on through next), or nullptr when none matches.
  template <class Pred>
  T* take_from_first(Pred pred) {
    for (T *prev = nullptr, *it = head_; it != nullptr; prev = it, it = it->next) {
      if (pred(it)) return take_after(prev);
    }
    return nullptr;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

// Calls fn on each operation of a chain that take_after or take_from_first returned, in order. fn may
// settle and delete the operation: its successor is read first.
template <class T, class Fn>
void ForEachTaken(T* op, Fn fn) {
  while (op != nullptr) {
    T* next = op->next;
    fn(op);
    op = next;
  }
}

}  // namespace iocpnet
