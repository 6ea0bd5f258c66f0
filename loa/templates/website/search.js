// Client-side search over the prebuilt index (search-index.json; rows: id, status, title, number,
// areas, date, text): an enhancement only.
// Without JavaScript the form stays hidden and every page still works. Results are built with
// DOM methods and textContent, never innerHTML, so no indexed text can become markup.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input");
  var status = form.querySelector(".search-status");
  var list = form.querySelector(".search-results");
  var root = form.getAttribute("data-root");
  var items = null;
  var fold = function (s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
  };
  var labels = { withdrawn: "Đã bị thu hồi", expired: "Đã hết hiệu lực" };

  function load() {
    if (items) return Promise.resolve(items);
    return fetch(form.getAttribute("data-index")).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      items = data.items.map(function (row) { return { row: row, text: fold(row.slice(2, 5).concat(row[6]).join(" ")) }; });
      return items;
    });
  }

  function show(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { status.textContent = ""; return; }
    load().then(function (all) {
      var hits = all.filter(function (it) { return words.every(function (w) { return it.text.indexOf(w) >= 0; }); });
      status.textContent = hits.length ? "Tìm thấy " + hits.length + " thông báo" + (hits.length > 50 ? ", hiện 50 thông báo mới nhất." : ".")
                                       : "Không tìm thấy thông báo nào.";
      hits.slice(0, 50).forEach(function (it) {
        var r = it.row, li = document.createElement("li"), h = document.createElement("h3"), a = document.createElement("a");
        a.href = root + "/notices/" + encodeURIComponent(r[0]) + ".html";
        a.textContent = r[2];
        h.appendChild(a);
        var p = document.createElement("p");
        p.className = "meta";
        p.textContent = [labels[r[1]], r[3] && "Số " + r[3], r[4], "đăng " + r[5]].filter(Boolean).join(" · ");
        li.appendChild(h);
        li.appendChild(p);
        list.appendChild(li);
      });
    }).catch(function () { status.textContent = "Không tải được chỉ mục tìm kiếm."; });
  }

  var timer;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { show(input.value); }, 150); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); show(input.value); });
  form.hidden = false;
})();
