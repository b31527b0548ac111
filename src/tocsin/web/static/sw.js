// The service worker of Web Push (served as /sw.js so that its scope is the whole site): it
// shows each push as a notification. One notification per alert: a later push about the same
// alert (its `tag`) replaces the earlier one and sounds again only when the danger grows.

const LOUDER = new Set(["alert.raised", "alert.activated", "alert.escalated"]);

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { title: "tocsin", body: event.data ? event.data.text() : "" };
  }
  const options = {
    body: data.body || "",
    tag: data.tag || "tocsin",
    renotify: LOUDER.has(data.event),
    requireInteraction: LOUDER.has(data.event),
    data: { url: data.url || "/" },
    icon: "/static/favicon.svg",
  };
  event.waitUntil(self.registration.showNotification(data.title || "tocsin", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(self.location.origin));
      return open ? open.focus() : self.clients.openWindow(target);
    }),
  );
});
