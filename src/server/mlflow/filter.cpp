// MLflow's filter strings and order-by clauses (filter.hpp).
#include "server/mlflow/filter.hpp"
#include <optional>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "glia/error.hpp"

namespace glia::server::mlflow {

namespace {

struct Token {
  enum Kind { Word, Identifier, String, Number, Operator, LParen, RParen, Comma, End } kind = End;
  std::string text;    // Word/Identifier: as written (Identifier: entity + '.' + key)
  std::string entity;  // Identifier: the part before the first '.'
  std::string key;     // Identifier: the (unquoted) key
  double number = 0;
};

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == ':' || c == '/';
}

[[noreturn]] void bad(std::string_view filter, const std::string& why) {
  throw Error("invalid filter '" + std::string(filter) + "': " + why);
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    Token t;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    if (c == '(') return ++i_, Token{Token::LParen, "("};
    if (c == ')') return ++i_, Token{Token::RParen, ")"};
    if (c == ',') return ++i_, Token{Token::Comma, ","};
    if (c == '\'' || c == '"') return Token{Token::String, quoted(c)};
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      ++i_;
      if (i_ < s_.size() && s_[i_] == '=') op += s_[i_++];
      if (op == "!") bad(s_, "'!' must be followed by '='");
      if (op == "==") op = "=";
      return Token{Token::Operator, op};
    }
    const bool numeric_start =
        std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+' || c == '.') && i_ + 1 < s_.size() &&
         (std::isdigit(static_cast<unsigned char>(s_[i_ + 1])) || s_[i_ + 1] == '.'));
    if (numeric_start) {
      const std::string rest(s_.substr(i_));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      const size_t used = static_cast<size_t>(end - rest.c_str());
      if (used == 0) bad(s_, "a malformed number at '" + rest + "'");
      i_ += used;
      t.kind = Token::Number;
      t.number = v;
      t.text = rest.substr(0, used);
      return t;
    }
    if (c == '`') {  // a quoted key with no entity: an attribute
      t.kind = Token::Identifier;
      t.key = quoted('`');
      t.text = t.key;
      return t;
    }
    if (!ident_char(c)) bad(s_, std::string("unexpected character '") + c + "'");
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '.' && ident_char(s_[i_])) ++i_;
    std::string word(s_.substr(start, i_ - start));
    if (i_ < s_.size() && s_[i_] == '.') {  // entity.key, the key maybe quoted
      ++i_;
      t.kind = Token::Identifier;
      t.entity = word;
      if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '`')) {
        t.key = quoted(s_[i_]);
      } else {
        const size_t k = i_;
        while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
        t.key = std::string(s_.substr(k, i_ - k));
      }
      if (t.key.empty()) bad(s_, "'" + word + ".' needs a key after the dot");
      t.text = word + "." + t.key;
      return t;
    }
    t.kind = Token::Word;
    t.text = word;
    return t;
  }

 private:
  std::string quoted(char q) {
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '\\' && i_ < s_.size()) {
        out += s_[i_++];
        continue;
      }
      if (c == q) {
        if (i_ < s_.size() && s_[i_] == q && q != '`') {  // '' inside '...'
          out += q;
          ++i_;
          continue;
        }
        return out;
      }
      out += c;
    }
    bad(s_, std::string("a string opened with ") + q + " is not closed");
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Entity entity_of(std::string_view filter, const std::string& name) {
  const std::string n = lower(name);
  if (n == "metric" || n == "metrics") return Entity::Metric;
  if (n == "param" || n == "params" || n == "parameter" || n == "parameters") return Entity::Param;
  if (n == "tag" || n == "tags") return Entity::Tag;
  if (n == "attribute" || n == "attributes" || n == "attr" || n == "run") return Entity::Attribute;
  bad(filter, "unknown entity '" + name +
                  "' (expected metrics., params., tags. or attributes. before the key)");
}

Token identifier(std::string_view filter, const Token& t, Entity* entity, std::string* key) {
  if (t.kind == Token::Identifier && !t.entity.empty()) {
    *entity = entity_of(filter, t.entity);
    *key = *entity == Entity::Attribute ? canonical_attribute(t.key) : t.key;
  } else if (t.kind == Token::Identifier || t.kind == Token::Word) {
    *entity = Entity::Attribute;  // a bare name: an attribute
    *key = canonical_attribute(t.kind == Token::Word ? t.text : t.key);
  } else {
    bad(filter, "expected a key such as metrics.NAME, got '" + t.text + "'");
  }
  return t;
}

}  // namespace

std::string canonical_attribute(std::string_view name) {
  const std::string n = lower(std::string(name));
  if (n == "created") return "start_time";
  if (n == "run name" || n == "run_name") return "run_name";
  if (n == "run_uuid") return "run_id";
  return std::string(name);
}

std::vector<Comparison> parse_filter(std::string_view filter) {
  Lexer lex(filter);
  std::vector<Comparison> out;
  Token t = lex.next();
  if (t.kind == Token::End) return out;
  for (;;) {
    Comparison c;
    identifier(filter, t, &c.entity, &c.key);
    Token op = lex.next();
    const std::string word = op.kind == Token::Word ? upper(op.text) : "";
    if (op.kind == Token::Operator) {
      const std::string& o = op.text;
      c.op = o == "="    ? Op::Eq
             : o == "!=" ? Op::Ne
             : o == "<"  ? Op::Lt
             : o == "<=" ? Op::Le
             : o == ">"  ? Op::Gt
             : o == ">=" ? Op::Ge
                         : (bad(filter, "unknown comparator '" + o + "'"), Op::Eq);
    } else if (word == "LIKE") {
      c.op = Op::Like;
    } else if (word == "ILIKE") {
      c.op = Op::ILike;
    } else if (word == "IN") {
      c.op = Op::In;
    } else if (word == "NOT") {
      Token in = lex.next();
      if (in.kind != Token::Word || upper(in.text) != "IN") bad(filter, "expected IN after NOT");
      c.op = Op::NotIn;
    } else if (word == "IS") {
      Token n = lex.next();
      c.op = Op::IsNull;
      if (n.kind == Token::Word && upper(n.text) == "NOT") {
        c.op = Op::IsNotNull;
        n = lex.next();
      }
      if (n.kind != Token::Word || upper(n.text) != "NULL")
        bad(filter, "expected NULL after IS [NOT]");
    } else {
      bad(filter, "expected a comparator after '" + t.text + "', got '" + op.text + "'");
    }
    if (c.op == Op::In || c.op == Op::NotIn) {
      if (lex.next().kind != Token::LParen) bad(filter, "expected '(' after IN");
      for (;;) {
        Token v = lex.next();
        if (v.kind != Token::String) bad(filter, "IN takes a list of quoted strings");
        c.list.push_back(v.text);
        Token sep = lex.next();
        if (sep.kind == Token::RParen) break;
        if (sep.kind != Token::Comma) bad(filter, "expected ',' or ')' in the IN list");
      }
    } else if (c.op != Op::IsNull && c.op != Op::IsNotNull) {
      Token v = lex.next();
      if (v.kind == Token::Number)
        c.number = v.number;
      else if (v.kind == Token::String)
        c.text = v.text;
      else
        bad(filter,
            "expected a number or a quoted string after '" + t.text + " " + op_name(c.op) + "'");
      if ((c.op == Op::Like || c.op == Op::ILike) && !c.text)
        bad(filter, std::string(op_name(c.op)) + " takes a quoted pattern");
    }
    out.push_back(std::move(c));
    t = lex.next();
    if (t.kind == Token::End) return out;
    if (t.kind != Token::Word || upper(t.text) != "AND")
      bad(filter, "expected AND between clauses, got '" + t.text + "' (MLflow has no OR)");
    t = lex.next();
  }
}

OrderBy parse_order_by(std::string_view clause) {
  Lexer lex(clause);
  OrderBy o;
  const Token t = lex.next();
  if (t.kind == Token::End) throw Error("invalid order_by '': expected a key such as metrics.NAME");
  identifier(clause, t, &o.entity, &o.key);
  Token dir = lex.next();
  if (dir.kind == Token::Word && (upper(dir.text) == "ASC" || upper(dir.text) == "DESC")) {
    o.ascending = upper(dir.text) == "ASC";
    dir = lex.next();
  }
  if (dir.kind != Token::End)
    throw Error("invalid order_by '" + std::string(clause) + "': expected `KEY [ASC|DESC]`, got '" +
                dir.text + "'");
  return o;
}

bool like_match(std::string_view text, std::string_view pattern, bool ci) {
  auto eq = [ci](char a, char b) {
    return ci ? std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b))
              : a == b;
  };
  // Iterative wildcard match with backtracking to the last '%'.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || eq(pattern[p], text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

namespace {

// =, !=, <, <=, >, >= on any ordered type; nullopt for the other operators.
template <class T>
std::optional<bool> compare_ordered(const T& actual, Op op, const T& value) {
  switch (op) {
    case Op::Eq:
      return actual == value;
    case Op::Ne:
      return actual != value;
    case Op::Lt:
      return actual < value;
    case Op::Le:
      return actual <= value;
    case Op::Gt:
      return actual > value;
    case Op::Ge:
      return actual >= value;
    default:
      return std::nullopt;
  }
}

}  // namespace

bool compare_text(const std::string& actual, const Comparison& c) {
  const std::string value = c.text ? *c.text : std::string();
  if (const auto r = compare_ordered(actual, c.op, value)) return *r;
  switch (c.op) {
    case Op::Like:
      return like_match(actual, value, false);
    case Op::ILike:
      return like_match(actual, value, true);
    case Op::In:
    case Op::NotIn: {
      bool found = false;
      for (const std::string& v : c.list) found = found || v == actual;
      return c.op == Op::In ? found : !found;
    }
    case Op::IsNull:
      return false;
    case Op::IsNotNull:
      return true;
    default:
      return false;
  }
}

bool compare_number(double actual, Op op, double value) {
  return compare_ordered(actual, op, value).value_or(false);
}

const char* op_name(Op op) {
  switch (op) {
    case Op::Eq:
      return "=";
    case Op::Ne:
      return "!=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::Like:
      return "LIKE";
    case Op::ILike:
      return "ILIKE";
    case Op::In:
      return "IN";
    case Op::NotIn:
      return "NOT IN";
    case Op::IsNull:
      return "IS NULL";
    case Op::IsNotNull:
      return "IS NOT NULL";
  }
  return "?";
}

namespace {

platform::SearchField field_of(Entity e) {
  switch (e) {
    case Entity::Metric:
      return platform::SearchField::Metric;
    case Entity::Param:
      return platform::SearchField::Param;
    case Entity::Tag:
      return platform::SearchField::Tag;
    case Entity::Attribute:
      break;
  }
  return platform::SearchField::Attribute;
}

platform::SearchOp op_of(Op op) {
  using platform::SearchOp;
  switch (op) {
    case Op::Eq:
      return SearchOp::Eq;
    case Op::Ne:
      return SearchOp::Ne;
    case Op::Lt:
      return SearchOp::Lt;
    case Op::Le:
      return SearchOp::Le;
    case Op::Gt:
      return SearchOp::Gt;
    case Op::Ge:
      return SearchOp::Ge;
    case Op::Like:
      return SearchOp::Like;
    case Op::ILike:
      return SearchOp::ILike;
    case Op::In:
      return SearchOp::In;
    case Op::NotIn:
      return SearchOp::NotIn;
    case Op::IsNull:
      return SearchOp::IsNull;
    case Op::IsNotNull:
      break;
  }
  return SearchOp::IsNotNull;
}

}  // namespace

platform::RunCondition condition_of(const Comparison& c) {
  return platform::RunCondition{field_of(c.entity), c.key, op_of(c.op), c.number, c.text, c.list};
}

platform::RunOrder order_of(const OrderBy& o) {
  return platform::RunOrder{field_of(o.entity), o.key, o.ascending};
}

}  // namespace glia::server::mlflow
