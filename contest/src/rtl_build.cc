#include "maskbench/contest/rtl_build.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>

#include "maskbench/core/files.h"
#include "maskbench/core/process.h"
#include "maskbench/core/version.h"

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

// Runs a tool under coreutils' timeout; a failure names the tool and shows its output.
Status Tool(const std::vector<std::string>& argv, int timeout_s, std::string* log,
            const fs::path& cwd = {}) {
  std::vector<std::string> a = {"timeout", "--kill-after=10", std::to_string(timeout_s)};
  a.insert(a.end(), argv.begin(), argv.end());
  CommandResult r = RunCommand(a, cwd);
  *log += "$ " + argv[0];
  for (size_t i = 1; i < argv.size() && i < 12; ++i) *log += " " + argv[i];
  if (argv.size() > 12) *log += " ...";
  *log += "\n" + r.out + r.err;
  if (r.exit_code == 124 || r.exit_code == 137)
    return Status::IOError(argv[0], "did not finish within " + std::to_string(timeout_s) + " s");
  if (r.exit_code != 0)
    return Status::InvalidArgument(
        argv[0], "failed (exit " + std::to_string(r.exit_code) + "):\n" + Tail(r.out + r.err));
  return Status::Ok();
}

bool SafeName(const std::string& s) {
  if (s.empty() || s.size() > 64 || s[0] == '.' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// The constructs a design may not use: they would run code or touch files
// outside the RTL (docs/rtl.md, "What a design may not do").
Status CheckSource(const fs::path& file, const std::string& text) {
  static const std::set<std::string> kTasks = {
      "c",        "system",   "fopen",     "fclose",    "fwrite",    "fwriteb",
      "fwriteh",  "fwriteo",  "fdisplay",  "fdisplayb", "fdisplayh", "fdisplayo",
      "fstrobe",  "fmonitor", "fread",     "fscanf",    "sscanf",    "fgets",
      "fgetc",    "ungetc",   "feof",      "ferror",    "fseek",     "ftell",
      "rewind",   "fflush",   "readmemh",  "readmemb",  "writememh", "writememb",
      "dumpfile", "dumpvars", "dumpports", "test",      "value",     "stacktrace"};
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\n') ++line;
    auto refuse = [&](const std::string& what) {
      return Status::InvalidArgument(file.string() + ":" + std::to_string(line),
                                     what + " is not allowed in an RTL submission (docs/rtl.md)");
    };
    if (ch == '\0') return refuse("a NUL byte");
    if (ch == '$') {
      size_t j = i + 1;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
      std::string id = text.substr(i + 1, j - i - 1);
      const bool c_task =
          id.size() >= 1 && id[0] == 'c' && std::all_of(id.begin() + 1, id.end(), [](char d) {
            return std::isdigit(static_cast<unsigned char>(d));
          });
      if (c_task || kTasks.count(id) || id.rfind("test$", 0) == 0)
        return refuse("the system task $" + id);
      // $test$plusargs / $value$plusargs read the command line
      if ((id == "test" || id == "value") && j < text.size() && text[j] == '$')
        return refuse("$" + id + "$plusargs");
    } else if (ch == '`') {
      size_t j = i + 1;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
      const std::string d = text.substr(i + 1, j - i - 1);
      if (d == "include") return refuse("`include (list every file in \"sources\")");
      if (d.rfind("systemc", 0) == 0 || d == "verilog" || d == "verilator_config")
        return refuse("the directive `" + d);
    } else if (ch == '"' && text.compare(i, 4, "\"DPI") == 0) {
      return refuse("a DPI import or export");
    }
  }
  return Status::Ok();
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
    if (p.is_absolute() || r.find("..") != std::string::npos)
      return bad("source \"" + r + "\" must be a relative path inside the folder");
    const fs::path full = dir / p;
    if (fs::is_symlink(full, ec) || !fs::is_regular_file(full, ec))
      return bad("source \"" + r + "\" is not a regular file");
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
  for (const fs::path& f : sub->sources) {
    Result<std::string> text = ReadFile(f);
    if (!text.ok()) return text.status();
    MB_RETURN_IF_ERROR(CheckSource(f, *text));
  }
  Result<std::string> src_hash = RtlSourceSha256(*sub);
  if (!src_hash.ok()) return src_hash.status();
  Result<std::string> model_hash = Sha256File(kit.model);
  if (!model_hash.ok()) return model_hash.status();

  RtlBuildResult res;
  std::error_code ec;
  res.out = fs::absolute(out_dir, ec);
  const std::string verilator = ToolVersion({"verilator", "--version"});
  json build = {{"format", "maskbench-rtl-build"},
                {"format_version", 1},
                {"name", sub->name},
                {"top", sub->top},
                {"clock_mhz", sub->clock_mhz},
                {"board", sub->board},
                {"source_sha256", *src_hash},
                {"model_sha256", *model_hash},
                {"harness_version", std::string(HarnessVersion()) + "+" + HarnessCommit()},
                {"verilator", verilator},
                {"verilator_threads", o.verilator_threads},
                {"cycles", "simulated by the harness"}};
  const fs::path so = res.out / ("lib" + sub->name + ".so");
  if (o.reuse && fs::is_regular_file(so, ec)) {
    Status st = Status::Ok();
    json old = ReadJsonFile(res.out / kRtlBuildFile, &st);
    json cmp = old;
    if (st.ok() && cmp.is_object()) cmp.erase("resources");
    if (st.ok() && cmp == build &&
        (!o.synthesize || fs::is_regular_file(res.out / kRtlResourcesFile, ec))) {
      res.reused = true;
      res.build = old;
      return res;
    }
  }

  // Only what a build writes is replaced; the folder may hold other files.
  if (fs::equivalent(res.out, sub->dir, ec))
    return Status::InvalidArgument(res.out.string(), "the output folder is the submission itself");
  for (const char* f : {"obj", "synth"}) fs::remove_all(res.out / f, ec);
  for (const fs::path& f : {so, res.out / kRtlBuildFile, res.out / kRtlResourcesFile})
    fs::remove(f, ec);
  fs::create_directories(res.out / "obj", ec);
  if (ec) return Status::IOError(res.out.string(), ec.message());
  const fs::path obj = res.out / "obj";
  std::vector<std::string> v = {"verilator",    "--cc",   "-O3",        "--x-assign", "fast",
                                "--x-initial",  "fast",   "-Wno-fatal", "--prefix",   kModelClass,
                                "--top-module", sub->top, "--Mdir",     obj.string()};
  if (o.verilator_threads > 1) {
    v.push_back("--threads");
    v.push_back(std::to_string(o.verilator_threads));
  }
  for (const fs::path& f : sub->sources) v.push_back(f.string());
  MB_RETURN_IF_ERROR(Tool(v, o.tool_timeout_s, &res.log, obj));
  if (fs::exists(obj / (std::string(kModelClass) + "__Dpi.h"), ec))
    return Status::InvalidArgument(sub->dir.string(),
                                   "the design imports or exports DPI functions");
  MB_RETURN_IF_ERROR(Tool(
      {"make", "-s", "-C", obj.string(), "-f", std::string(kModelClass) + ".mk",
       "-j" + std::to_string(o.jobs), "CXX=" + kit.cxx, "VM_USER_CFLAGS=-fPIC", "OPT_FAST=-O2",
       "OPT_SLOW=-O1", std::string(kModelClass) + "__ALL.a", "verilated.o", "verilated_threads.o"},
      o.tool_timeout_s, &res.log, obj));
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
  Status linked = Tool(link, o.tool_timeout_s, &res.log, obj);
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
    Result<FpgaResources> r = SynthesizeRtl(*sub, res.out / "synth", o.tool_timeout_s);
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

Result<FpgaResources> SynthesizeRtl(const RtlSubmission& sub, const fs::path& work, int timeout_s) {
  Result<FpgaBoard> board = FindBoard(sub.board);
  if (!board.ok()) return Status::InvalidArgument(sub.dir.string(), board.status().message());
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) return Status::IOError(work.string(), ec.message());
  FpgaResources r;
  r.board = board->name;
  r.part = board->part;
  r.flow = board->xilinx7 ? "synth_xilinx -family xc7" : "synth";
  std::string script;
  for (const fs::path& f : sub.sources)
    script += (f.extension() == ".sv" ? "read_verilog -sv " : "read_verilog ") + f.string() + "\n";
  script += (board->xilinx7 ? "synth_xilinx -family xc7 -top " : "synth -top ") + sub.top + "\n";
  script += "tee -o " + (work / "stat.txt").string() + " stat\n";
  MB_RETURN_IF_ERROR(WriteFileAtomic(work / "synth.ys", script));
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  Status st =
      Tool({"yosys", "-q", "-l", (work / "yosys.log").string(), "-s", (work / "synth.ys").string()},
           timeout_s, &log, work);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) return Status::InvalidArgument("yosys", "synthesis failed: " + st.message());
  Result<std::string> stat = ReadFile(work / "stat.txt");
  if (!stat.ok()) return stat.status();
  // The last "Number of cells" block is the top's (flattened by synth).
  const size_t at = stat->rfind("Number of cells:");
  if (at == std::string::npos)
    return Status::Corruption((work / "stat.txt").string(), "no cell counts");
  static const std::regex kCell(R"(^\s+(\$?[A-Za-z0-9_$]+)\s+(\d+)\s*$)");
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
    else if (cell.rfind("FD", 0) == 0 || cell.rfind("$_DFF", 0) == 0 ||
             cell.rfind("$_SDFF", 0) == 0 || cell.rfind("$_DFFE", 0) == 0)
      r.ff += n;
    else if (cell.rfind("DSP48", 0) == 0)
      r.dsp += n;
    else if (cell.rfind("RAMB36", 0) == 0)
      r.bram36 += 2 * n;
    else if (cell.rfind("RAMB18", 0) == 0)
      r.bram36 += n;
  }
  r.bram36 = (r.bram36 + 1) / 2;  // counted in RAMB18 halves above
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
