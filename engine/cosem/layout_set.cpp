// LayoutSet: the layouts loaded (built in, or from JSON: layout_json.cpp) and the choice of the
// one that maps a body (layout_match.cpp), whose walk (layout_walk.cpp) then writes the readings.
#include "layout_model.hpp"

namespace meterlab::cosem {

namespace detail {
std::string_view builtin_layouts_json(std::size_t i) noexcept;  // generated: builtin_layouts.cpp
std::size_t builtin_layouts_json_count() noexcept;
}  // namespace detail

using detail::Layout;
using detail::Mode;

namespace {

void rebuild_keys(LayoutSet::Impl& impl) {
  impl.keys.clear();
  for (const Layout& l : impl.layouts) {
    LayoutSet::Impl::Keys& k = impl.keys.emplace_back();
    k.root = l.root;
    k.min_count = l.min_count;
    k.max_count = l.max_count;
    k.first_obis = l.first_obis;
    if (l.list_id) k.list_id = std::string_view(*l.list_id);
    k.first = detail::first_child_check(l);
  }
}

}  // namespace

LayoutSet::LayoutSet() : impl_(std::make_unique<Impl>()) {}
LayoutSet::~LayoutSet() = default;
LayoutSet::LayoutSet(LayoutSet&&) noexcept = default;
LayoutSet& LayoutSet::operator=(LayoutSet&&) noexcept = default;

const LayoutSet& LayoutSet::builtin() {
  static const LayoutSet set = [] {
    LayoutSet s;
    for (std::size_t i = 0; i < detail::builtin_layouts_json_count(); ++i) {
      s.load_json(detail::builtin_layouts_json(i));
    }
    return s;
  }();
  return set;
}

// Loading is not a decode path: a bad layout throws. In a build without exceptions that ends the
// program (the built-in layouts are checked by the tests).
void LayoutSet::load_json(std::string_view json_text) {
#if defined(__cpp_exceptions)
  try {
    detail::parse_layouts(json_text, impl_->layouts, impl_->names);
  } catch (...) {
    rebuild_keys(*impl_);  // the layouts loaded before the error stay usable
    throw;
  }
#else
  detail::parse_layouts(json_text, impl_->layouts, impl_->names);
#endif
  rebuild_keys(*impl_);
}

std::vector<std::string> LayoutSet::names() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->layouts) out.push_back(l.name);
  return out;
}

std::vector<std::string_view> LayoutSet::matching(const LayoutContext& given) const {
  std::vector<std::string_view> out;
  Telegram scratch;
  LayoutContext ctx = given;
  ctx.trace = nullptr;
  if (ctx.body->empty()) return out;
  const detail::BodyKeys keys = detail::body_keys(*ctx.body);
  const bool container = ctx.body->root().is_container();  // layouts map containers only
  for (std::size_t i = 0; container && i < impl_->layouts.size(); ++i) {
    if (!detail::keys_match(impl_->keys[i], keys)) continue;
    const Layout& l = impl_->layouts[i];
    if (l.mode == Mode::positional && !detail::types_fit(l, *ctx.body)) continue;
    if (detail::walk(l, ctx, scratch)) out.push_back(l.name);
  }
  // The generic mapping maps what no layout does (map()).
  if (out.empty() && detail::walk(impl_->generic, ctx, scratch)) out.push_back(impl_->generic.name);
  return out;
}

// Layouts are tried in load order; the first whose keys match and whose walk succeeds maps the
// body. An identified layout (list id / first OBIS) that fails its walk reports the error. A body
// no layout maps is mapped generically.
Result<void> LayoutSet::map(const LayoutContext& ctx, Telegram& out) const {
  if (!ctx.body || ctx.body->empty()) return fail(Errc::cosem_unknown_layout, ctx.body_offset);
  if (ctx.body->root().is_container()) {
    const detail::BodyKeys keys = detail::body_keys(*ctx.body);
    for (std::size_t i = 0; i < impl_->layouts.size(); ++i) {
      if (!detail::keys_match(impl_->keys[i], keys)) continue;
      const Layout& l = impl_->layouts[i];
      if (l.mode == Mode::positional && !l.identified() && !detail::types_fit(l, *ctx.body)) {
        continue;
      }
      Result<void> r = detail::walk(l, ctx, out);
      if (r) return {};
      if (r.error().code == Errc::cosem_layout_mismatch && !l.identified()) continue;
      detail::reset_mapped(out);
      return r;
    }
  }
  Result<void> r = detail::walk(impl_->generic, ctx, out);
  if (r) return {};
  detail::reset_mapped(out);
  if (r.error().code == Errc::cosem_layout_mismatch) {
    return fail(Errc::cosem_unknown_layout, ctx.body_offset);  // too deep or too wide
  }
  return r;
}

}  // namespace meterlab::cosem
