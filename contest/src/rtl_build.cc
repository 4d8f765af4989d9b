#include "maskbench/contest/rtl_build.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>

#include "maskbench/core/files.h"
#include "maskbench/core/process.h"
#include "maskbench/core/version.h"
#include "maskbench/harness/tool_sandbox.h"

namespace maskbench::contest {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxSourceBytes = 4ull << 20;
constexpr size_t kMaxSources = 256;
constexpr const char* kModelClass = "Vnpu_top";

std::string Tail(const std::string& s, size_t n = 4000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// Runs a tool under coreutils' timeout and util-linux's prlimit (memory, file
// size), inside `sandbox` when given; a failure names the tool and shows its output.
Status Tool(const std::vector<std::string>& argv, const RtlBuildOptions& o,
            const std::vector<std::string>& sandbox, std::string* log, const fs::path& cwd) {
  std::vector<std::string> a = {"timeout",
                                "--kill-after=10",
                                std::to_string(o.tool_timeout_s),
                                "prlimit",
                                "--as=" + std::to_string(o.tool_memory_bytes),
                                "--fsize=" + std::to_string(o.tool_file_bytes),
                                "--core=0",
                                "--"};
  a.insert(a.end(), sandbox.begin(), sandbox.end());
  a.insert(a.end(), argv.begin(), argv.end());
  CommandResult r = RunCommand(a, cwd);
  *log += "$ " + argv[0];
  for (size_t i = 1; i < argv.size() && i < 12; ++i) *log += " " + argv[i];
  if (argv.size() > 12) *log += " ...";
  *log += "\n" + Tail(r.out + r.err, 64 << 10);
  if (r.exit_code == 124 || r.exit_code == 137)
    return Status::IOError(argv[0], "did not finish within " + std::to_string(o.tool_timeout_s) +
                                        " s (or was killed at its memory limit)");
  if (r.exit_code != 0)
    return Status::InvalidArgument(
        argv[0], "failed (exit " + std::to_string(r.exit_code) + "):\n" + Tail(r.out + r.err));
  return Status::Ok();
}

// A source path component: [A-Za-z0-9._-], not "." or "..".
bool SafeComponent(const std::string& c) {
  if (c.empty() || c == "." || c == ".." || c.size() > 128) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
}

bool SafeName(const std::string& s) {
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// The 7-series cells synth_xilinx may leave (and no design may name a module after).
const std::set<std::string>& XilinxPrimitives() {
  static const std::set<std::string> kCells = {
      "BUFG",     "IBUF",     "OBUF",      "IOBUF",     "INV",      "VCC",      "GND",
      "LUT1",     "LUT2",     "LUT3",      "LUT4",      "LUT5",     "LUT6",     "FDRE",
      "FDSE",     "FDCE",     "FDPE",      "CARRY4",    "MUXF7",    "MUXF8",    "DSP48E1",
      "RAMB18E1", "RAMB36E1", "RAM32M",    "RAM64M",    "RAM32X1D", "RAM64X1D", "RAM128X1D",
      "RAM32X1S", "RAM64X1S", "RAM128X1S", "RAM256X1S", "SRL16E",   "SRLC32E",  "FDRE_1",
      "OBUFT",    "IBUFG",    "BUFGCTRL",  "LDCE",      "LDPE"};
  return kCells;
}

// A team's file, before anything reads it: plain text, no file inclusion.
// Everything else is checked on the preprocessed design (CheckDesign), which
// is what both tools read.
Status CheckSource(const fs::path& file, const std::string& text) {
  int line = 1;
  enum { kCode, kLineComment, kBlockComment, kString } state = kCode;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\n') ++line;
    auto refuse = [&](const std::string& what) {
      return Status::InvalidArgument(file.string() + ":" + std::to_string(line),
                                     what + " is not allowed in an RTL submission (docs/rtl.md)");
    };
    if (ch == '\0') return refuse("a NUL byte");
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case kLineComment:
        if (ch == '\n') state = kCode;
        break;
      case kBlockComment:
        if (ch == '*' && next == '/') state = kCode, ++i;
        break;
      case kString:
        if (ch == '\\')
          ++i;
        else if (ch == '"')
          state = kCode;
        break;
      case kCode:
        if (ch == '/' && next == '/')
          state = kLineComment;
        else if (ch == '/' && next == '*')
          state = kBlockComment, ++i;
        else if (ch == '"')
          state = kString;
        else if (ch == '`' && text.compare(i + 1, 7, "include") == 0)
          return refuse("`include (list every file in \"sources\")");
        break;
    }
  }
  return Status::Ok();
}

// The preprocessed design (`verilator -E -P` of every source: macros expanded,
// conditionals resolved, comments gone), which both Verilator and Yosys then
// read, so that they build the same design. The constructs refused would run
// code or touch files outside the RTL, or hide logic from the resource count
// (docs/rtl.md, "What a design may not do").
Status CheckDesign(const fs::path& file, const std::string& text) {
  static const std::set<std::string> kTasks = {
      "c",         "system",    "fopen",     "fclose",      "fwrite",    "fwriteb",   "fwriteh",
      "fwriteo",   "fdisplay",  "fdisplayb", "fdisplayh",   "fdisplayo", "fstrobe",   "fstrobeb",
      "fstrobeh",  "fstrobeo",  "fmonitor",  "fmonitorb",   "fmonitorh", "fmonitoro", "fread",
      "fscanf",    "sscanf",    "fgets",     "fgetc",       "ungetc",    "feof",      "ferror",
      "fseek",     "ftell",     "rewind",    "fflush",      "readmemh",  "readmemb",  "writememh",
      "writememb", "dumpfile",  "dumpvars",  "dumpports",   "test",      "value",     "stacktrace",
      "root",      "unit",      "cast",      "sformat",     "swrite",    "swriteb",   "swriteh",
      "swriteo",   "sreadmemh", "sreadmemb", "dist_uniform"};
  // Identifiers (also inside strings) that hide a design from one tool, pull in
  // C++, or attach logic from outside the hierarchy.
  static const std::set<std::string> kWords = {
      "bind",           "blackbox",     "whitebox",      "black_box",    "syn_black_box",
      "translate_off",  "translate_on", "synthesis_off", "synthesis_on", "DPI",
      "keep_hierarchy", "abc9_box",     "abc9_flop",     "config",       "library"};
  const std::set<std::string>& kPrimitives = XilinxPrimitives();
  static const std::set<std::string> kDirectives = {"timescale", "default_nettype", "resetall",
                                                    "celldefine", "endcelldefine"};
  int line = 1;
  auto refuse = [&](const std::string& what) {
    return Status::InvalidArgument(file.string() + ":" + std::to_string(line),
                                   what + " is not allowed in an RTL submission (docs/rtl.md)");
  };
  auto ident_at = [&](size_t i) {
    size_t j = i;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
      ++j;
    return text.substr(i, j - i);
  };
  bool in_string = false;
  std::string prev_word;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\n') ++line;
    if (ch == '\0') return refuse("a NUL byte");
    if (static_cast<unsigned char>(ch) >= 0x80) return refuse("a non-ASCII byte");
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        in_string = false;
      } else if (std::isalpha(static_cast<unsigned char>(ch)) &&
                 !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_')) {
        const std::string w = ident_at(i);
        if (kWords.count(w)) return refuse("the word \"" + w + "\"");
        i += w.size() - 1;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
      continue;
    }
    if (ch == '/' && i + 1 < text.size() && text[i + 1] == '*') {  // only metacomments are left
      const size_t end = text.find("*/", i + 2);
      const std::string body = text.substr(i + 2, end == std::string::npos ? end : end - i - 2);
      std::istringstream words(body);
      std::string tool, what;
      words >> tool >> what;
      if (tool != "verilator" || (what != "lint_off" && what != "lint_on"))
        return refuse("the metacomment \"/*" + body + "*/\"");
      for (char c : body) line += c == '\n';
      i = end == std::string::npos ? text.size() : end + 1;
      continue;
    }
    if (ch == '\\') return refuse("an escaped identifier");
    if (ch == '`') {
      const std::string d = ident_at(i + 1);
      if (!kDirectives.count(d)) return refuse("the directive `" + d);
      i += d.size();
      continue;
    }
    if (ch == '$') {
      if (i + 1 >= text.size() ||
          !(std::isalpha(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '_'))
        return refuse("a $ not followed by a system task's name");
      const std::string id = ident_at(i + 1);
      const bool c_task = id[0] == 'c' && std::all_of(id.begin() + 1, id.end(), [](char d) {
                            return std::isdigit(static_cast<unsigned char>(d));
                          });
      if (c_task || kTasks.count(id)) return refuse("the system task $" + id);
      if (i + 1 + id.size() < text.size() && text[i + 1 + id.size()] == '$')
        return refuse("$" + id + "$...");
      i += id.size();
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
      const std::string w = ident_at(i);
      if (kWords.count(w)) return refuse("the word \"" + w + "\"");
      if (prev_word == "module" && kPrimitives.count(w))
        return refuse("a module named like the primitive " + w);
      const size_t after = i + w.size();
      if (after + 1 < text.size() && text[after] == '.' &&
          (std::isalpha(static_cast<unsigned char>(text[after + 1])) || text[after + 1] == '_'))
        return refuse("the hierarchical reference " + w + "." + ident_at(after + 1));
      prev_word = w;
      i = after - 1;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(ch))) {  // a number (1.5, 8'hff, 3e2)
      while (i + 1 < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '\'' ||
              text[i + 1] == '.' || text[i + 1] == '_'))
        ++i;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(ch))) prev_word.clear();
  }
  return Status::Ok();
}

// Verilator's output must not call into files or the system (a second look,
// after the text check): these helpers appear only for the refused tasks.
Status CheckGenerated(const fs::path& obj) {
  static const char* kCalls[] = {
      "VL_FOPEN",      "VL_READMEM", "VL_WRITEMEM", "VL_SYSTEM",        "VL_FGETS",
      "VL_FREAD",      "VL_FSCANF",  "VL_FWRITE",   "VL_FCLOSE",        "VL_FFLUSH",
      "VL_FSEEK",      "VL_FTELL",   "VL_FERROR",   "VL_VALUEPLUSARGS", "VL_TESTPLUSARGS",
      "VL_STACKTRACE", "VL_FGETC",   "VL_FEOF",     "VL_UNGETC"};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(obj, ec)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".cpp" && ext != ".h") continue;
    Result<std::string> text = ReadFile(e.path());
    if (!text.ok()) return text.status();
    for (const char* c : kCalls)
      if (text->find(c) != std::string::npos)
        return Status::InvalidArgument(e.path().string(),
                                       std::string("the Verilated model calls ") + c +
                                           ": file or system access is not allowed (docs/rtl.md)");
  }
  return ec ? Status::IOError(obj.string(), ec.message()) : Status::Ok();
}

json ReadJsonFile(const fs::path& p, Status* st) {
  Result<std::string> text = ReadFile(p);
  if (!text.ok()) {
    *st = text.status();
    return {};
  }
  try {
    return json::parse(*text);
  } catch (const json::exception& e) {
    *st = Status::Corruption(p.string(), std::string("not JSON: ") + e.what());
    return {};
  }
}

std::string ToolVersion(const std::vector<std::string>& argv) {
  CommandResult r = RunCommand(argv);
  std::string v = r.out.empty() ? r.err : r.out;
  const size_t nl = v.find('\n');
  if (nl != std::string::npos) v.resize(nl);
  return r.exit_code == 0 ? v : "unavailable";
}

}  // namespace

Result<RtlKit> LoadRtlKit(const fs::path& kit_json) {
  Status st = Status::Ok();
  json j = ReadJsonFile(kit_json, &st);
  if (!st.ok()) return st;
  RtlKit k;
  // Relative paths are relative to the kit's folder (an installed kit).
  const fs::path base = fs::absolute(kit_json).parent_path();
  auto at = [&](const std::string& p) {
    return p.empty() || p[0] == '/' || p[0] == '-' ? p : (base / p).string();
  };
  try {
    k.glue = at(j.at("glue").get<std::string>());
    k.exports_map = at(j.at("exports_map").get<std::string>());
    k.model = at(j.at("model").get<std::string>());
    for (const std::string& d : j.at("include_dirs").get<std::vector<std::string>>())
      k.include_dirs.push_back(at(d));
    for (const std::string& l : j.at("link").get<std::vector<std::string>>())
      k.link.push_back(at(l));
    k.cxx = j.at("cxx").get<std::string>();
  } catch (const json::exception& e) {
    return Status::Corruption(kit_json.string(), std::string("not an RTL kit: ") + e.what());
  }
  return k;
}

Result<fs::path> DefaultRtlKitPath() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("/proc/self/exe", ec.message());
  for (const fs::path& p :
       {self.parent_path() / "rtl-kit" / "kit.json",
        self.parent_path() / ".." / "lib" / "maskbench" / "rtl-kit" / "kit.json"}) {
    if (fs::is_regular_file(p, ec)) return p;
  }
  return Status::NotFound((self.parent_path() / "rtl-kit" / "kit.json").string(),
                          "no RTL kit next to this maskbench (RTL builds need a maskbench built "
                          "from source; docs/rtl.md)");
}

bool IsRtlSubmission(const fs::path& dir) {
  std::error_code ec;
  const fs::path f = dir / "submission.json";
  if (!fs::is_regular_file(f, ec) || fs::file_size(f, ec) > (1u << 20)) return false;
  Status st = Status::Ok();
  json j = ReadJsonFile(f, &st);
  return st.ok() && j.is_object() && j.value("kind", std::string()) == kRtlKind;
}

Result<RtlSubmission> LoadRtlSubmission(const fs::path& dir_in) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(dir_in), ec);
  const fs::path file = dir / "submission.json";
  if (!fs::is_regular_file(file, ec))
    return Status::NotFound(file.string(), "no submission.json (an RTL submission needs one)");
  if (fs::file_size(file, ec) > (1u << 20))
    return Status::InvalidArgument(file.string(), "larger than 1 MiB");
  Status st = Status::Ok();
  json j = ReadJsonFile(file, &st);
  if (!st.ok()) return st;
  auto bad = [&](const std::string& why) { return Status::InvalidArgument(file.string(), why); };
  if (!j.is_object()) return bad("must be a JSON object");
  if (j.value("kind", std::string()) != kRtlKind) return bad("\"kind\" is not \"rtl\"");
  RtlSubmission s;
  s.dir = dir;
  auto text = [&](const char* key, std::string* out, bool required) -> Status {
    if (!j.contains(key))
      return required ? bad(std::string("\"") + key + "\" is missing") : Status::Ok();
    if (!j[key].is_string()) return bad(std::string("\"") + key + "\" must be a string");
    *out = j[key].get<std::string>();
    return Status::Ok();
  };
  s.name = dir.filename().string();
  s.board = "xc7z020";
  MB_RETURN_IF_ERROR(text("name", &s.name, false));
  MB_RETURN_IF_ERROR(text("team", &s.team, false));
  MB_RETURN_IF_ERROR(text("version", &s.version, false));
  MB_RETURN_IF_ERROR(text("top", &s.top, true));
  MB_RETURN_IF_ERROR(text("board", &s.board, false));
  if (!SafeName(s.name))
    return bad("\"name\" must be 1-64 of [A-Za-z0-9._-], not starting with . or -");
  static const std::regex kIdent("[A-Za-z_][A-Za-z0-9_]{0,127}");
  if (!std::regex_match(s.top, kIdent)) return bad("\"top\" must be a Verilog module name");
  if (!j.contains("clock_mhz") || !j["clock_mhz"].is_number())
    return bad("\"clock_mhz\" (a number, the design's clock in MHz) is missing");
  s.clock_mhz = j["clock_mhz"].get<double>();
  if (!(s.clock_mhz > 0 && s.clock_mhz <= 5000)) return bad("\"clock_mhz\" must be in (0, 5000]");
  if (j.contains("config")) {
    if (!j["config"].is_object()) return bad("\"config\" must be an object");
    s.config = j["config"];
    if (s.config.contains("clock_mhz"))
      return bad("\"config\" may not set clock_mhz (declare it at the top level)");
  }
  std::vector<std::string> rel;
  if (j.contains("sources")) {
    if (!j["sources"].is_array()) return bad("\"sources\" must be an array of paths");
    for (const json& v : j["sources"]) {
      if (!v.is_string()) return bad("\"sources\" must be an array of paths");
      rel.push_back(v.get<std::string>());
    }
  } else {
    for (auto it = fs::recursive_directory_iterator(dir / "rtl", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string ext = it->path().extension().string();
      if (it->is_regular_file() && (ext == ".v" || ext == ".sv"))
        rel.push_back(fs::relative(it->path(), dir).string());
    }
    std::sort(rel.begin(), rel.end());
  }
  if (rel.empty()) return bad("no sources (list them in \"sources\", or put .v/.sv files in rtl/)");
  if (rel.size() > kMaxSources) return bad("more than 256 sources");
  for (const std::string& r : rel) {
    const fs::path p(r);
    if (r.empty() || r.size() > 512 || r[0] == '/')
      return bad("source \"" + r + "\" must be a relative path inside the folder");
    // Every component plain, and none of them a symlink.
    fs::path at = dir;
    size_t start = 0;
    while (start <= r.size()) {
      size_t slash = r.find('/', start);
      if (slash == std::string::npos) slash = r.size();
      const std::string c = r.substr(start, slash - start);
      if (!SafeComponent(c))
        return bad("source \"" + r + "\": each part of the path must be [A-Za-z0-9._-]");
      at /= c;
      if (fs::is_symlink(at, ec)) return bad("source \"" + r + "\" goes through a symlink");
      start = slash + 1;
    }
    const fs::path full = dir / p;
    if (!fs::is_regular_file(full, ec)) return bad("source \"" + r + "\" is not a regular file");
    if (fs::file_size(full, ec) > kMaxSourceBytes) return bad("source \"" + r + "\" exceeds 4 MiB");
    const std::string ext = p.extension().string();
    if (ext != ".v" && ext != ".sv") return bad("source \"" + r + "\" is not .v or .sv");
    s.sources.push_back(full);
  }
  return s;
}

Result<std::string> RtlSourceSha256(const RtlSubmission& sub) {
  std::string all;
  std::vector<fs::path> files = sub.sources;
  files.push_back(sub.dir / "submission.json");
  for (const fs::path& f : files) {
    Result<std::string> h = Sha256File(f);
    if (!h.ok()) return h.status();
    all += fs::relative(f, sub.dir).string() + " " + *h + "\n";
  }
  return Sha256Hex(all);
}

Result<RtlBuildResult> BuildRtl(const fs::path& sub_dir, const fs::path& out_dir, const RtlKit& kit,
                                const RtlBuildOptions& o) {
  Result<RtlSubmission> sub = LoadRtlSubmission(sub_dir);
  if (!sub.ok()) return sub.status();
  std::vector<std::string> texts;
  for (const fs::path& f : sub->sources) {
    Result<std::string> text = ReadFile(f);
    if (!text.ok()) return text.status();
    MB_RETURN_IF_ERROR(CheckSource(f, *text));
    texts.push_back(std::move(*text));
  }
  Result<std::string> src_hash = RtlSourceSha256(*sub);
  if (!src_hash.ok()) return src_hash.status();
  Result<std::string> model_hash = Sha256File(kit.model);
  if (!model_hash.ok()) return model_hash.status();
  Result<std::string> glue_hash = Sha256File(kit.glue);
  if (!glue_hash.ok()) return glue_hash.status();

  RtlBuildResult res;
  std::error_code ec;
  res.out = fs::absolute(out_dir, ec).lexically_normal();
  if (fs::is_symlink(res.out, ec))
    return Status::InvalidArgument(res.out.string(), "the output folder is a symlink");
  if (fs::exists(res.out, ec) && fs::equivalent(res.out, sub->dir, ec))
    return Status::InvalidArgument(res.out.string(), "the output folder is the submission itself");
  const fs::path obj = res.out / "obj", src = res.out / "src", synth = res.out / "synth";
  fs::create_directories(res.out, ec);
  if (ec) return Status::IOError(res.out.string(), ec.message());

  // The tools run sealed: the system read-only, the kit read-only, the output
  // folder read-write, nothing else (no network, uid 65534, no capabilities).
  std::vector<fs::path> read_only = {kit.glue, kit.exports_map, kit.model};
  for (const std::string& d : kit.include_dirs) read_only.push_back(d);
  for (const std::string& l : kit.link)
    if (!l.empty() && l[0] == '/' && l.rfind("/usr/", 0) != 0) read_only.push_back(l);
  for (const fs::path& p : read_only) {
    const std::string ps = fs::absolute(p).lexically_normal().string();
    if (ps.rfind(res.out.string() + "/", 0) == 0)
      return Status::InvalidArgument(
          res.out.string(), "the output folder holds the RTL kit (" + ps + "): choose another");
  }
  bool sealed = false;
  std::string unsealed_reason;
  if (o.sandbox != RtlBuildOptions::Sandbox::kOff) {
    const harness::ToolSandbox probe = harness::MakeToolSandbox(read_only, res.out, res.out);
    sealed = probe.ok();
    unsealed_reason = probe.reason;
    if (!sealed && o.sandbox == RtlBuildOptions::Sandbox::kRequire)
      return Status::Unsupported("maskbench build",
                                 "cannot seal the RTL build (" + probe.reason +
                                     "): a judge builds RTL entries only sealed, unless it "
                                     "runs with --allow-unsealed");
  }
  auto box = [&](const fs::path& cwd) {
    return sealed ? harness::MakeToolSandbox(read_only, res.out, cwd).prefix
                  : std::vector<std::string>{};
  };

  const std::string verilator = ToolVersion({"verilator", "--version"});
  json build = {{"format", "maskbench-rtl-build"},
                {"format_version", 1},
                {"name", sub->name},
                {"top", sub->top},
                {"clock_mhz", sub->clock_mhz},
                {"board", sub->board},
                {"source_sha256", *src_hash},
                {"model_sha256", *model_hash},
                {"glue_sha256", *glue_hash},
                {"harness_version", std::string(HarnessVersion()) + "+" + HarnessCommit()},
                {"verilator", verilator},
                {"verilator_threads", o.verilator_threads},
                {"yosys", o.synthesize ? ToolVersion({"yosys", "-V"}) : std::string("not run")},
                {"sealed", sealed},
                {"cycles", "simulated by the harness"}};
  const fs::path so = res.out / ("lib" + sub->name + ".so");
  if (o.reuse && fs::is_regular_file(so, ec) && !fs::is_symlink(so, ec)) {
    Status st = Status::Ok();
    json old = ReadJsonFile(res.out / kRtlBuildFile, &st);
    json cmp = old;
    if (st.ok() && cmp.is_object() && !o.synthesize) cmp["yosys"] = "not run";
    if (st.ok() && cmp == build &&
        (!o.synthesize || fs::is_regular_file(res.out / kRtlResourcesFile, ec))) {
      res.reused = true;
      res.build = old;
      return res;
    }
  }

  // Only what a build writes is replaced; the folder may hold other files.
  for (const fs::path& d : {obj, src, synth}) fs::remove_all(d, ec);
  for (const fs::path& f : {so, res.out / kRtlBuildFile, res.out / kRtlResourcesFile,
                            res.out / "refnet-int8.json", res.out / "submission.json"})
    fs::remove(f, ec);
  fs::create_directories(obj, ec);
  fs::create_directories(src, ec);
  if (ec) return Status::IOError(res.out.string(), ec.message());
  // The tools see the checked bytes under names the harness chose.
  RtlSubmission copied = *sub;
  copied.sources.clear();
  std::string mapping;
  for (size_t i = 0; i < texts.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%03zu%s", i, sub->sources[i].extension().c_str());
    MB_RETURN_IF_ERROR(WriteFileAtomic(src / name, texts[i]));
    copied.sources.push_back(src / name);
    const std::string line = std::string("src/") + name + " = " +
                             fs::relative(sub->sources[i], sub->dir).generic_string();
    res.log += line + "\n";
    mapping += (mapping.empty() ? "" : ", ") + line;
  }
  if (!sealed && o.sandbox != RtlBuildOptions::Sandbox::kOff)
    res.log += "note: the tools run unsealed (" + unsealed_reason + ")\n";

  // One preprocessed design for both tools, checked as they will read it.
  const bool sv = std::any_of(copied.sources.begin(), copied.sources.end(),
                              [](const fs::path& f) { return f.extension() == ".sv"; });
  const fs::path design = src / (sv ? "design.sv" : "design.v");
  {
    std::vector<std::string> pre = {
        "/bin/sh", "-c", "exec verilator -E -P \"$@\" > design" + std::string(sv ? ".sv" : ".v"),
        "sh"};
    for (const fs::path& f : copied.sources) pre.push_back(f.filename().string());
    MB_RETURN_IF_ERROR(Tool(pre, o, box(src), &res.log, src));
    Result<std::string> text = ReadFile(design);
    if (!text.ok()) return text.status();
    Status checked = CheckDesign(design, *text);
    if (!checked.ok())
      return Status::InvalidArgument(checked.message(),
                                     "(in the preprocessed design of " + mapping + ")");
  }

  std::vector<std::string> v = {"verilator",    "--cc",   "-O3",        "--x-assign", "fast",
                                "--x-initial",  "fast",   "-Wno-fatal", "--prefix",   kModelClass,
                                "--top-module", sub->top, "--Mdir",     obj.string()};
  if (o.verilator_threads > 1) {
    v.push_back("--threads");
    v.push_back(std::to_string(o.verilator_threads));
  }
  v.push_back(design.string());
  MB_RETURN_IF_ERROR(Tool(v, o, box(obj), &res.log, obj));
  if (fs::exists(obj / (std::string(kModelClass) + "__Dpi.h"), ec))
    return Status::InvalidArgument(sub->dir.string(),
                                   "the design imports or exports DPI functions");
  MB_RETURN_IF_ERROR(CheckGenerated(obj));
  MB_RETURN_IF_ERROR(Tool(
      {"make", "-s", "-C", obj.string(), "-f", std::string(kModelClass) + ".mk",
       "-j" + std::to_string(o.jobs), "CXX=" + kit.cxx, "VM_USER_CFLAGS=-fPIC", "OPT_FAST=-O2",
       "OPT_SLOW=-O1", std::string(kModelClass) + "__ALL.a", "verilated.o", "verilated_threads.o"},
      o, box(obj), &res.log, obj));
  std::string root = "/usr/share/verilator";
  {
    CommandResult r = RunCommand({"verilator", "--getenv", "VERILATOR_ROOT"});
    if (r.exit_code == 0 && !r.out.empty()) root = r.out.substr(0, r.out.find('\n'));
  }
  std::vector<std::string> link = {kit.cxx,
                                   "-std=c++20",
                                   "-O2",
                                   "-fPIC",
                                   "-shared",
                                   "-fvisibility=hidden",
                                   "-o",
                                   so.string(),
                                   kit.glue.string(),
                                   "-I" + obj.string(),
                                   "-I" + root + "/include",
                                   "-I" + root + "/include/vltstd",
                                   "-DVM_COVERAGE=0",
                                   "-DVM_SC=0",
                                   "-DVM_TRACE=0",
                                   "-DVM_TRACE_FST=0",
                                   "-DVM_TRACE_VCD=0"};
  for (const std::string& d : kit.include_dirs) link.push_back("-I" + d);
  link.push_back((obj / (std::string(kModelClass) + "__ALL.a")).string());
  link.push_back((obj / "verilated.o").string());
  link.push_back((obj / "verilated_threads.o").string());
  for (const std::string& l : kit.link) link.push_back(l);
  link.push_back("-Wl,--version-script=" + kit.exports_map.string());
  link.push_back("-Wl,--no-undefined");
  Status linked = Tool(link, o, box(obj), &res.log, obj);
  if (!linked.ok())
    return Status::InvalidArgument(sub->dir.string(),
                                   "the design does not match the interface of docs/rtl.md, or "
                                   "the build failed: " +
                                       linked.message());

  fs::copy_file(kit.model, res.out / "refnet-int8.json", fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IOError(kit.model.string(), ec.message());
  json config = sub->config;
  config["clock_mhz"] = sub->clock_mhz;
  json meta = {{"name", sub->name},       {"team", sub->team},
               {"version", sub->version}, {"latency_kind", "modeled"},
               {"kind", "rtl-build"},     {"plugin", so.filename().string()},
               {"config", config}};
  MB_RETURN_IF_ERROR(WriteFileAtomic(res.out / "submission.json", meta.dump(2) + "\n"));
  if (o.synthesize) {
    fs::create_directories(synth, ec);
    RtlSubmission preprocessed = copied;
    preprocessed.sources = {design};
    Result<FpgaResources> r = SynthesizeRtl(preprocessed, synth, o, box(synth));
    if (!r.ok()) return r.status();
    const json rj = ResourcesToJson(*r);
    MB_RETURN_IF_ERROR(WriteFileAtomic(res.out / kRtlResourcesFile, rj.dump(2) + "\n"));
    res.log += "yosys: " + r->flow + ": " + std::to_string(r->lut) + " LUT, " +
               std::to_string(r->ff) + " FF, " + std::to_string(r->dsp) + " DSP, " +
               std::to_string(r->bram36) + " BRAM36 (" + std::to_string(r->seconds) + " s)\n";
  }
  MB_RETURN_IF_ERROR(WriteFileAtomic(res.out / kRtlBuildFile, build.dump(2) + "\n"));
  res.build = build;
  return res;
}

fs::path DefaultRtlOut(const fs::path& folder) { return folder / "build"; }

Result<PreparedFolder> PrepareFolder(const fs::path& folder, const fs::path& rtl_out,
                                     const RtlBuildOptions& options) {
  PreparedFolder p;
  p.folder = folder;
  if (!IsRtlSubmission(folder)) return p;
  Result<fs::path> kit_path = DefaultRtlKitPath();
  if (!kit_path.ok()) return kit_path.status();
  Result<RtlKit> kit = LoadRtlKit(*kit_path);
  if (!kit.ok()) return kit.status();
  Result<RtlBuildResult> built = BuildRtl(folder, rtl_out, *kit, options);
  if (!built.ok()) return built.status();
  p.folder = built->out;
  p.rtl = true;
  p.reused = built->reused;
  p.log = built->log;
  return p;
}

Result<FpgaBoard> FindBoard(const std::string& name) {
  static const std::vector<FpgaBoard> kBoards = {
      {"xc7z020", "xc7z020clg400-1", true, 53200, 106400, 220, 140},
      {"pynq-z2", "xc7z020clg400-1", true, 53200, 106400, 220, 140},
      {"xc7z010", "xc7z010clg400-1", true, 17600, 35200, 80, 60},
      {"xc7a35t", "xc7a35tcpg236-1", true, 20800, 41600, 90, 50},
      {"xc7a100t", "xc7a100tcsg324-1", true, 63400, 126800, 240, 135},
      {"generic", "", false, 0, 0, 0, 0},
  };
  std::string known;
  for (const FpgaBoard& b : kBoards) {
    if (b.name == name) return b;
    known += (known.empty() ? "" : ", ") + b.name;
  }
  return Status::NotFound(name, "unknown board (known: " + known + ")");
}

std::string BoardOverflow(const FpgaResources& r, const FpgaBoard& b) {
  std::string why;
  auto check = [&](const char* what, int64_t used, int64_t have) {
    if (have > 0 && used > have)
      why += (why.empty() ? "" : "; ") + std::to_string(used) + " " + what + " > " +
             std::to_string(have);
  };
  check("LUT", r.lut, b.lut);
  check("FF", r.ff, b.ff);
  check("DSP", r.dsp, b.dsp);
  check("BRAM36", r.bram36, b.bram36);
  return why.empty() ? why : "does not fit " + b.name + ": " + why;
}

Result<FpgaResources> SynthesizeRtl(const RtlSubmission& sub, const fs::path& work,
                                    const RtlBuildOptions& o,
                                    const std::vector<std::string>& sandbox) {
  Result<FpgaBoard> board = FindBoard(sub.board);
  if (!board.ok()) return Status::InvalidArgument(sub.dir.string(), board.status().message());
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) return Status::IOError(work.string(), ec.message());
  FpgaResources r;
  r.board = board->name;
  r.part = board->part;
  r.flow = board->xilinx7 ? "synth_xilinx -family xc7" : "synth -lut 6";
  std::string script;
  for (const fs::path& f : sub.sources)
    script += (f.extension() == ".sv" ? "read_verilog -sv " : "read_verilog ") + f.string() + "\n";
  script +=
      (board->xilinx7 ? "synth_xilinx -family xc7 -top " : "synth -lut 6 -top ") + sub.top + "\n";
  script += "tee -o " + (work / "stat.txt").string() + " stat\n";
  MB_RETURN_IF_ERROR(WriteFileAtomic(work / "synth.ys", script));
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  Status st =
      Tool({"yosys", "-q", "-l", (work / "yosys.log").string(), "-s", (work / "synth.ys").string()},
           o, sandbox, &log, work);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) return Status::InvalidArgument("yosys", "synthesis failed: " + st.message());
  // Logic Yosys could not see (a reference it turned into an undriven wire)
  // is logic the simulator ran but nobody counted.
  Result<std::string> ylog = ReadFile(work / "yosys.log");
  if (ylog.ok())
    for (const char* w : {"is implicitly declared", "has no driver", "is used but has no driver"})
      if (size_t at = ylog->find(w); at != std::string::npos) {
        const size_t from = ylog->rfind('\n', at);
        const size_t to = ylog->find('\n', at);
        return Status::InvalidArgument(
            "yosys",
            "the design has logic synthesis cannot see (" +
                ylog->substr(from == std::string::npos ? 0 : from + 1,
                             to == std::string::npos ? std::string::npos : to - (from + 1)) +
                "): its resources cannot be counted");
      }
  Result<std::string> stat = ReadFile(work / "stat.txt");
  if (!stat.ok()) return stat.status();
  // The last "Number of cells" block is the top's (flattened by synth).
  const size_t at = stat->rfind("Number of cells:");
  if (at == std::string::npos)
    return Status::Corruption((work / "stat.txt").string(), "no cell counts");
  static const std::regex kCell(R"(^\s+(\S+)\s+(\d+)\s*$)");
  r.cells = json::object();
  size_t pos = stat->find('\n', at);
  while (pos != std::string::npos && pos + 1 < stat->size()) {
    const size_t nl = stat->find('\n', pos + 1);
    const std::string line = stat->substr(pos + 1, nl == std::string::npos ? nl : nl - pos - 1);
    pos = nl;
    std::smatch m;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!std::regex_match(line, m, kCell)) break;
    const std::string cell = m[1];
    const int64_t n = std::stoll(m[2]);
    r.cells[cell] = n;
    if (cell.rfind("LUT", 0) == 0 || cell.rfind("$_LUT", 0) == 0)
      r.lut += n;
    else if (cell == "RAM32M" || cell == "RAM64M" || cell == "RAM128X1D")
      r.lut += 4 * n;
    else if (cell == "RAM32X1D" || cell == "RAM64X1D")
      r.lut += 2 * n;
    else if (cell == "RAM32X1S" || cell == "RAM64X1S" || cell == "SRL16E" || cell == "SRLC32E")
      r.lut += n;
    else if (cell == "RAM128X1S")
      r.lut += 2 * n;
    else if (cell == "RAM256X1S")
      r.lut += 4 * n;
    else if (cell == "$lut")
      r.lut += n;
    else if (cell.rfind("FD", 0) == 0 || cell.rfind("LD", 0) == 0 || cell.rfind("$_DFF", 0) == 0 ||
             cell.rfind("$_SDFF", 0) == 0 || cell.rfind("$_DLATCH", 0) == 0 ||
             cell.rfind("$_ALDFF", 0) == 0)
      r.ff += n;
    else if (cell.rfind("DSP48", 0) == 0)
      r.dsp += n;
    else if (cell.rfind("RAMB36", 0) == 0)
      r.bram36 += 2 * n;
    else if (cell.rfind("RAMB18", 0) == 0)
      r.bram36 += n;
  }
  r.bram36 = (r.bram36 + 1) / 2;  // counted in RAMB18 halves above
  // Every cell must be a primitive of the target: a black box, or a module
  // Yosys could not map, would hide logic the simulator ran.
  const std::set<std::string>& kXilinx = XilinxPrimitives();
  for (auto it = r.cells.begin(); it != r.cells.end(); ++it) {
    const std::string& c = it.key();
    const bool known = board->xilinx7
                           ? kXilinx.count(c) > 0
                           : c == "$lut" || c.rfind("$_DFF", 0) == 0 || c.rfind("$_SDFF", 0) == 0 ||
                                 c.rfind("$_DLATCH", 0) == 0 || c.rfind("$_ALDFF", 0) == 0;
    if (!known)
      return Status::InvalidArgument(
          sub.dir.string(), "synthesis left " + std::to_string(it->get<int64_t>()) +
                                " cell(s) of type " + it.key() +
                                ", not a primitive of the target (a black box, or a module "
                                "Yosys could not map): its resources cannot be counted");
  }
  return r;
}

json ResourcesToJson(const FpgaResources& r) {
  return {{"format", "maskbench-fpga-resources"},
          {"format_version", 1},
          {"board", r.board},
          {"part", r.part},
          {"flow", r.flow},
          {"tool", ToolVersion({"yosys", "-V"})},
          {"lut", r.lut},
          {"ff", r.ff},
          {"dsp", r.dsp},
          {"bram36", r.bram36},
          {"seconds", std::round(r.seconds * 10) / 10},
          {"cells", r.cells}};
}

std::optional<FpgaResources> LoadResources(const fs::path& built) {
  Status st = Status::Ok();
  const json j = ReadJsonFile(built / kRtlResourcesFile, &st);
  if (!st.ok()) return std::nullopt;
  Result<FpgaResources> r = ResourcesFromJson(j);
  if (!r.ok()) return std::nullopt;
  return *r;
}

Result<FpgaResources> ResourcesFromJson(const json& j) {
  FpgaResources r;
  try {
    r.board = j.at("board").get<std::string>();
    r.part = j.value("part", std::string());
    r.flow = j.at("flow").get<std::string>();
    r.lut = j.at("lut").get<int64_t>();
    r.ff = j.at("ff").get<int64_t>();
    r.dsp = j.at("dsp").get<int64_t>();
    r.bram36 = j.at("bram36").get<int64_t>();
    r.seconds = j.value("seconds", 0.0);
    r.cells = j.value("cells", json::object());
  } catch (const json::exception& e) {
    return Status::Corruption(kRtlResourcesFile, std::string("not FPGA resources: ") + e.what());
  }
  return r;
}

}  // namespace maskbench::contest
