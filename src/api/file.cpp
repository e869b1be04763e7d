// /file: multipart uploads stored on disk under <dataDir>/files/<orgId>/<id>, metadata as
// a resource; GET /file/:id/content serves the bytes (the object's `url` points there) as a
// sandboxed attachment, so an uploaded page never runs on the dashboard's origin.
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "api/errors.h"
#include "api/multipart.h"
#include "api/resources.h"
#include "common/ids.h"
#include "common/offload.h"
#include "common/time.h"
#include "net/headers.h"

namespace voxa::api {

namespace json = boost::json;
namespace fs = std::filesystem;

static fs::path filePath(const ApiContext& ctx, const std::string& org, const std::string& id) {
    return fs::path(ctx.settings.dataDir) / "files" / org / id;
}

// The part's type when it is a clean `type/subtype`, else a guess from the extension.
static std::string guessMime(std::string_view name, std::string_view part) {
    std::string given = net::mediaTypeOr(part, "");
    if (!given.empty() && given != "application/octet-stream") return given;
    auto dot = name.rfind('.');
    std::string ext = dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == "txt") return "text/plain";
    if (ext == "md") return "text/markdown";
    if (ext == "csv") return "text/csv";
    if (ext == "json") return "application/json";
    if (ext == "pdf") return "application/pdf";
    if (ext == "wav") return "audio/wav";
    if (ext == "mp3") return "audio/mpeg";
    if (ext == "html" || ext == "htm") return "text/html";
    if (ext == "docx") return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    return "application/octet-stream";
}

static Awaitable createFile(RequestContext& rc) {
    auto parts = parseMultipart(rc.req.header("content-type"), rc.req.body);
    if (!parts)
        throw ApiError::badRequest(std::vector<std::string>{
            "file must be sent as multipart/form-data with a 'file' field"});
    const MultipartPart* file = nullptr;
    std::optional<std::string> purpose;
    std::optional<json::value> metadata;
    std::vector<std::string> errors;
    for (auto& p : *parts) {
        if (p.name == "file" && !p.filename.empty()) {
            file = &p;
        } else if (p.name == "purpose") {
            purpose = std::string(p.data);
        } else if (p.name == "metadata") {
            std::error_code ec;
            auto v = json::parse(p.data, ec);
            if (ec || !v.is_object()) errors.push_back("metadata must be a JSON object");
            else metadata = std::move(v);
        } else if (p.name != "file") {
            errors.push_back("property " + p.name + " should not exist");
        }
    }
    if (!file) errors.push_back("file should not be empty");
    if (purpose && *purpose != "assistant" && *purpose != "composer-attachment" &&
        *purpose != "knowledge-base-v2" && *purpose != "knowledge-base")
        errors.push_back(
            "purpose must be one of the following values: assistant, composer-attachment, "
            "knowledge-base-v2");
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));

    store::Resource r;
    r.id = newId();
    r.orgId = rc.orgId();
    r.kind = "file";
    r.createdAt = r.updatedAt = isoNow();
    std::string mime = guessMime(file->filename, file->contentType);
    std::string base = rc.ctx.settings.publicUrl;
    while (!base.empty() && base.back() == '/') base.pop_back();
    json::object o{{"id", r.id},
                   {"orgId", r.orgId},
                   {"object", "file"},
                   {"status", "done"},
                   {"name", file->filename},
                   {"originalName", file->filename},
                   {"bytes", file->data.size()},
                   {"mimetype", mime},
                   {"key", r.orgId + "/" + r.id},
                   {"path", "files/" + r.orgId + "/" + r.id},
                   {"url", base + "/file/" + r.id + "/content"},
                   {"createdAt", r.createdAt},
                   {"updatedAt", r.updatedAt}};
    if (purpose) {
        o["purpose"] = *purpose;
        r.a1 = *purpose;
    }
    if (metadata) o["metadata"] = *metadata;
    r.body = json::serialize(o);

    auto path = filePath(rc.ctx, r.orgId, r.id);
    std::string_view data = file->data;
    auto& store = rc.ctx.store;
    co_await offload(rc.ctx.dbPool, [&] {
        fs::create_directories(path.parent_path());
        auto tmp = path;
        tmp += ".part";
        {
            std::ofstream out(tmp, std::ios::binary);
            out.write(data.data(), static_cast<std::streamsize>(data.size()));
            if (!out) throw std::runtime_error("cannot write " + tmp.string());
        }
        fs::rename(tmp, path);
        store.insertResource(r);
        return true;
    });
    co_return jsonResponse(201, o);
}

void registerFiles(Router& router) {
    router.add("POST", "/file", createFile);
    router.add("POST", "/file/upload", createFile);  // legacy alias
    registerCrud(router, {.kind = "file",
                          .path = "/file",
                          .label = "File",
                          .createSchema = "",
                          .updateSchema = "UpdateFileDTO",
                          .listFilter = [](RequestContext& rc, store::ListQuery& q) {
                              if (auto p = rc.query("purpose"); p && !p->empty()) q.a1 = *p;
                          },
                          .listParams = {"purpose"},
                          .onDelete = [](const json::object& o, RequestContext& rc) {
                              std::error_code ec;
                              fs::remove(filePath(rc.ctx, rc.orgId(),
                                                  std::string(o.at("id").as_string())),
                                         ec);
                          },
                          .genericCreate = false});

    router.add("GET", "/file/:id/content", [](RequestContext& rc) -> Awaitable {
        auto row = co_await loadOr404(rc, "file", "File", rc.param("id"));
        auto o = parseObject(row.body);
        net::HttpResponse res;
        res.status = 200;
        res.filePath = filePath(rc.ctx, row.orgId, row.id).string();
        auto* m = o.if_contains("mimetype");
        res.contentType = net::mediaTypeOr(m && m->is_string() ? std::string_view(m->as_string()) : "",
                                           "application/octet-stream");
        // Uploads are anyone's bytes served on the dashboard's origin: always a download,
        // never sniffed (the server sets nosniff on every response), and sandboxed (no
        // script, no same-origin) should a browser render it.
        auto* n = o.if_contains("name");
        res.headers.push_back({"Content-Disposition",
                               net::attachment(n && n->is_string() ? std::string_view(n->as_string()) : "")});
        res.headers.push_back({"Content-Security-Policy", "sandbox; default-src 'none'"});
        co_return res;
    });
}

}  // namespace voxa::api
