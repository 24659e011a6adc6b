// MLflow's search filter strings ("metrics.acc > 0.9 AND params.lr = '0.1'") and order-by
// clauses ("metrics.loss ASC"), parsed into comparisons; evaluated by search.cpp and registry.cpp.
// Errors are glia::Error (InvalidArgument) naming the clause: MLflow's INVALID_PARAMETER_VALUE.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/platform/store.hpp"

namespace glia::server::mlflow {

enum class Entity { Metric, Param, Tag, Attribute };
enum class Op { Eq, Ne, Lt, Le, Gt, Ge, Like, ILike, In, NotIn, IsNull, IsNotNull };

/// One `entity.key OP value` clause; clauses are joined by AND (MLflow has no OR).
struct Comparison {
  Entity entity = Entity::Attribute;
  std::string key;  // unquoted; attributes by their canonical name (see canonical_attribute)
  Op op = Op::Eq;
  std::optional<double> number;     // a numeric value
  std::optional<std::string> text;  // a quoted string value
  std::vector<std::string> list;    // IN / NOT IN
};

/// Parses a filter; an empty (or all-blank) string is no clause.
std::vector<Comparison> parse_filter(std::string_view filter);

struct OrderBy {
  Entity entity = Entity::Attribute;
  std::string key;
  bool ascending = true;
};
/// Parses one order-by clause: `entity.key [ASC|DESC]` (ASC by default).
OrderBy parse_order_by(std::string_view clause);

/// An attribute's canonical name: "created" and "Created" are "start_time", "run name" is
/// "run_name"; other names unchanged.
std::string canonical_attribute(std::string_view name);

/// SQL LIKE: `%` any run of characters, `_` one character; case-folded (ASCII) when asked.
bool like_match(std::string_view text, std::string_view pattern, bool case_insensitive);

/// Whether `op` holds between two strings (Eq, Ne, Like, ILike, In, NotIn; ordered comparisons
/// lexicographically) — `value`'s text or list is the right-hand side.
bool compare_text(const std::string& actual, const Comparison& c);
/// Whether `op` holds between two numbers (Eq, Ne, Lt, Le, Gt, Ge).
bool compare_number(double actual, Op op, double value);

const char* op_name(Op op);

/// A clause as the store's search condition, and an order-by clause as its sort key (as they
/// are: an attribute the store does not know is refused when the store builds its query).
platform::RunCondition condition_of(const Comparison& c);
platform::RunOrder order_of(const OrderBy& o);

}  // namespace glia::server::mlflow
