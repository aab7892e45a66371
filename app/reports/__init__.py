"""Stand-alone HTML reports (folium), built for offline reading: Leaflet and the data are inlined."""
