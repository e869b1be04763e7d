// Vapi's waitFunction (completion.h): a bounded subset of mathjs, parsed by recursive descent
// into a small tree and evaluated per end-of-turn decision. Apart from allocation failure
// (caught in parse), nothing here throws.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <new>
#include <string>
#include <vector>

#include "pipeline/completion.h"

namespace voxa::pipeline {

namespace {

constexpr size_t kMaxLength = 1024;  // characters of an expression
constexpr int kMaxNesting = 32;      // parentheses (or function calls) inside each other
// A parenthesis costs five parser frames (expr, term, unary, power, primary); a unary minus
// one, a '^' two. The limit bounds the stack of the parser and of eval.
constexpr int kMaxDepth = 5 * kMaxNesting;
constexpr size_t kMaxNodes = 256;
constexpr size_t kMaxArgs = 16;      // of min/max
constexpr double kMaxMs = 15000;

enum class Op { Number, X, Add, Sub, Mul, Div, Pow, Neg, Call };
enum class Fn { Sqrt, Exp, Log, Abs, Min, Max, Pow, Cos, Sin };

struct Function {
    std::string_view name;
    Fn fn;
    size_t minArgs, maxArgs;
};
constexpr Function kFunctions[] = {
    {"sqrt", Fn::Sqrt, 1, 1}, {"exp", Fn::Exp, 1, 1}, {"log", Fn::Log, 1, 2},
    {"abs", Fn::Abs, 1, 1},   {"min", Fn::Min, 1, kMaxArgs}, {"max", Fn::Max, 1, kMaxArgs},
    {"pow", Fn::Pow, 2, 2},   {"cos", Fn::Cos, 1, 1}, {"sin", Fn::Sin, 1, 1},
};

struct Expr {
    Op op = Op::Number;
    Fn fn = Fn::Sqrt;
    double value = 0;
    std::vector<Expr> args;

    double eval(double x) const {
        switch (op) {
        case Op::Number: return value;
        case Op::X: return x;
        case Op::Add: return args[0].eval(x) + args[1].eval(x);
        case Op::Sub: return args[0].eval(x) - args[1].eval(x);
        case Op::Mul: return args[0].eval(x) * args[1].eval(x);
        case Op::Div: return args[0].eval(x) / args[1].eval(x);
        case Op::Pow: return std::pow(args[0].eval(x), args[1].eval(x));
        case Op::Neg: return -args[0].eval(x);
        case Op::Call: break;
        }
        double a = args[0].eval(x);
        switch (fn) {
        case Fn::Sqrt: return std::sqrt(a);  // mathjs gives a complex number below 0: NaN here
        case Fn::Exp: return std::exp(a);
        case Fn::Log: return args.size() == 2 ? std::log(a) / std::log(args[1].eval(x)) : std::log(a);
        case Fn::Abs: return std::fabs(a);
        case Fn::Pow: return std::pow(a, args[1].eval(x));
        case Fn::Cos: return std::cos(a);
        case Fn::Sin: return std::sin(a);
        case Fn::Min:
        case Fn::Max: {
            for (size_t i = 1; i < args.size(); ++i) {
                double b = args[i].eval(x);
                if (std::isnan(b) || std::isnan(a)) return NAN;
                a = fn == Fn::Min ? std::min(a, b) : std::max(a, b);
            }
            return a;
        }
        }
        return NAN;
    }
};

using Node = Expr;

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    bool parse(Node& out) {
        skipSpace();
        if (pos_ == s_.size()) return fail("empty expression");
        if (!expr(out, 0)) return false;
        skipSpace();
        if (pos_ != s_.size()) return fail(unexpected());
        return true;
    }

    std::string error;

private:
    // expr := term (('+' | '-') term)*
    bool expr(Node& out, int depth) {
        if (!enter(depth)) return false;
        if (!term(out, depth + 1)) return false;
        while (true) {
            skipSpace();
            if (!at('+') && !at('-')) return true;
            Op op = s_[pos_++] == '+' ? Op::Add : Op::Sub;
            Node rhs;
            if (!term(rhs, depth + 1)) return false;
            if (!combine(out, op, std::move(rhs))) return false;
        }
    }

    // term := unary (('*' | '/') unary)*
    bool term(Node& out, int depth) {
        if (!enter(depth)) return false;
        if (!unary(out, depth + 1)) return false;
        while (true) {
            skipSpace();
            if (!at('*') && !at('/')) return true;
            Op op = s_[pos_++] == '*' ? Op::Mul : Op::Div;
            Node rhs;
            if (!unary(rhs, depth + 1)) return false;
            if (!combine(out, op, std::move(rhs))) return false;
        }
    }

    // unary := ('-' | '+') unary | power      (as in mathjs, -2^2 = -(2^2))
    bool unary(Node& out, int depth) {
        if (!enter(depth)) return false;
        skipSpace();
        if (at('-') || at('+')) {
            bool neg = s_[pos_++] == '-';
            Node inner;
            if (!unary(inner, depth + 1)) return false;
            if (!neg) {
                out = std::move(inner);
                return true;
            }
            if (!count()) return false;
            out = Node{.op = Op::Neg, .args = {}};
            out.args.push_back(std::move(inner));
            return true;
        }
        return power(out, depth + 1);
    }

    // power := primary ('^' unary)?           (right associative: 2^3^2 = 2^(3^2))
    bool power(Node& out, int depth) {
        if (!enter(depth)) return false;
        if (!primary(out, depth + 1)) return false;
        skipSpace();
        if (!at('^')) return true;
        ++pos_;
        Node rhs;
        if (!unary(rhs, depth + 1)) return false;
        return combine(out, Op::Pow, std::move(rhs));
    }

    // primary := number | name | name '(' args ')' | '(' expr ')'
    bool primary(Node& out, int depth) {
        if (!enter(depth)) return false;
        skipSpace();
        if (pos_ == s_.size()) return fail("unexpected end of expression");
        char c = s_[pos_];
        if (c == '(') {
            ++pos_;
            if (!expr(out, depth + 1)) return false;
            skipSpace();
            if (!at(')')) return fail("expected ')' at " + std::to_string(pos_));
            ++pos_;
            return true;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number(out);
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name(out, depth);
        return fail(unexpected());
    }

    bool number(Node& out) {
        size_t start = pos_;
        auto digits = [&] {
            size_t n = 0;
            while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_, ++n;
            return n;
        };
        size_t n = digits();
        if (at('.')) {
            ++pos_;
            n += digits();
        }
        if (n == 0) return fail("invalid number at " + std::to_string(start));
        if (at('e') || at('E')) {
            size_t save = pos_++;
            if (at('+') || at('-')) ++pos_;
            if (digits() == 0) pos_ = save;  // "2e" is 2 times e in mathjs; not supported below
        }
        double v = 0;
        auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
        if (ec == std::errc::result_out_of_range) v = HUGE_VAL;
        else if (ec != std::errc() || p != s_.data() + pos_)
            return fail("invalid number at " + std::to_string(start));
        if (!count()) return false;
        out = Node{.op = Op::Number, .value = v, .args = {}};
        return true;
    }

    bool name(Node& out, int depth) {
        size_t start = pos_;
        while (pos_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
            ++pos_;
        std::string_view id = s_.substr(start, pos_ - start);
        skipSpace();
        if (at('(')) {
            const Function* f = nullptr;
            for (auto& k : kFunctions) {
                if (k.name == id) f = &k;
            }
            if (!f) return fail("unknown function '" + std::string(id) + "'");
            ++pos_;
            if (!count()) return false;
            out = Node{.op = Op::Call, .fn = f->fn, .args = {}};
            skipSpace();
            if (!at(')')) {
                while (true) {
                    if (out.args.size() == f->maxArgs) {
                        return fail(std::string(id) + " takes at most " +
                                    std::to_string(f->maxArgs) + " argument" +
                                    (f->maxArgs == 1 ? "" : "s"));
                    }
                    Node arg;
                    if (!expr(arg, depth + 1)) return false;
                    out.args.push_back(std::move(arg));
                    skipSpace();
                    if (!at(',')) break;
                    ++pos_;
                }
            }
            if (!at(')')) return fail("expected ')' at " + std::to_string(pos_));
            ++pos_;
            if (out.args.size() < f->minArgs) {
                return fail(std::string(id) + " takes " +
                            (f->minArgs == f->maxArgs ? "" : "at least ") +
                            std::to_string(f->minArgs) + " argument" +
                            (f->minArgs == 1 ? "" : "s"));
            }
            return true;
        }
        if (!count()) return false;
        if (id == "x") {
            out = Node{.op = Op::X, .args = {}};
        } else if (id == "pi" || id == "PI") {
            out = Node{.op = Op::Number, .value = M_PI, .args = {}};
        } else if (id == "e" || id == "E") {
            out = Node{.op = Op::Number, .value = M_E, .args = {}};
        } else {
            return fail("unknown name '" + std::string(id) + "' (only x, pi and e)");
        }
        return true;
    }

    bool combine(Node& lhs, Op op, Node&& rhs) {
        if (!count()) return false;
        Node n{.op = op, .args = {}};
        n.args.reserve(2);
        n.args.push_back(std::move(lhs));
        n.args.push_back(std::move(rhs));
        lhs = std::move(n);
        return true;
    }

    bool enter(int depth) {
        if (depth <= kMaxDepth) return true;
        return fail("expression nested too deeply");
    }
    bool count() { return ++nodes_ <= kMaxNodes || fail("expression too long"); }
    bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
    void skipSpace() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    std::string unexpected() const {
        if (pos_ >= s_.size()) return "unexpected end of expression";
        unsigned char c = static_cast<unsigned char>(s_[pos_]);
        std::string shown = std::isprint(c) ? std::string(1, char(c)) : "\\x" + hex(c);
        return "unexpected '" + shown + "' at " + std::to_string(pos_);
    }
    static std::string hex(unsigned char c) {
        const char* d = "0123456789abcdef";
        return {d[c >> 4], d[c & 15]};
    }
    bool fail(std::string msg) {
        if (error.empty()) error = std::move(msg);
        return false;
    }

    std::string_view s_;
    size_t pos_ = 0;
    size_t nodes_ = 0;
};

}  // namespace

struct WaitFunction::Node {
    Expr expr;
};

std::optional<WaitFunction> WaitFunction::parse(std::string_view expr, std::string* error) {
    auto failed = [&](std::string msg) -> std::optional<WaitFunction> {
        if (error) *error = std::move(msg);
        return std::nullopt;
    };
    if (expr.size() > kMaxLength) {
        return failed("expression longer than " + std::to_string(kMaxLength) + " characters");
    }
    try {
        Parser p(expr);
        auto root = std::make_shared<Node>();
        if (!p.parse(root->expr)) return failed(p.error);
        WaitFunction f;
        f.root_ = std::move(root);
        return f;
    } catch (const std::bad_alloc&) {
        return failed("out of memory");
    }
}

const WaitFunction& WaitFunction::vapiDefault() {
    static const WaitFunction f = *parse("20 + 500 * sqrt(x) + 2500 * x^3");
    return f;
}

double WaitFunction::ms(double x) const {
    double v = root_ ? root_->expr.eval(x) : NAN;
    if (std::isnan(v)) return kMaxMs;
    return std::clamp(v, 0.0, kMaxMs);
}

WaitFunction::~WaitFunction() = default;
WaitFunction::WaitFunction(const WaitFunction&) = default;
WaitFunction& WaitFunction::operator=(const WaitFunction&) = default;
WaitFunction::WaitFunction(WaitFunction&&) noexcept = default;
WaitFunction& WaitFunction::operator=(WaitFunction&&) noexcept = default;

}  // namespace voxa::pipeline
